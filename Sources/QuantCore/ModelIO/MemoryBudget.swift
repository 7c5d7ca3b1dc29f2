import Foundation

/// How much memory one file may make quantdash allocate: how far compressed data files (gzip
/// IDX, deflated `.npz` entries) may inflate, and how much external tensor data a model may hold.
///
/// A size declared in the file (the gzip trailer, the ZIP directory) is checked before anything
/// is inflated: above what deflate can produce from the compressed bytes (at most 1032:1) the
/// file is damaged, above `bytes` it is refused as too large for this machine. Inflating itself
/// stops at the declared size, so a file that lies about it cannot grow further either.
public enum MemoryBudget {
    // One budget for every reader, so a hostile file fails with a message, not an allocation trap.

    /// The most bytes deflate can produce per compressed byte (zlib's technical report).
    public static let maximumRatio = 1032

    /// The default budget: a quarter of physical memory, between 256 MiB and 4 GiB.
    public static var bytes: Int {
        let quarter = ProcessInfo.processInfo.physicalMemory / 4
        return Int(min(max(quarter, 256 << 20), 4 << 30))
    }

    /// Checks `declared` uncompressed bytes against `compressed` bytes and `budget`.
    ///
    /// - Throws: `ModelIOError.malformed` naming `path` and `what` (e.g. `gzip`) when deflate
    ///   cannot produce that much, `.incompatible` when it exceeds the budget.
    static func check(declared: UInt64, compressed: Int, budget: Int, path: String, what: String) throws {
        let (possible, overflow) = UInt64(max(compressed, 0)).multipliedReportingOverflow(
            by: UInt64(maximumRatio))
        if !overflow && declared > possible + 64 {
            throw ModelIOError.malformed(
                path: path,
                detail: "\(what): declares \(declared) bytes uncompressed from \(compressed) compressed, "
                    + "more than deflate can produce (at most \(maximumRatio)×)")
        }
        if declared > UInt64(max(budget, 0)) {
            throw ModelIOError.incompatible(
                path: path,
                detail: "\(what): \(declared) bytes uncompressed is over the memory budget of "
                    + "\(budget) bytes (a quarter of this machine's memory); use --limit or a smaller file")
        }
    }
}

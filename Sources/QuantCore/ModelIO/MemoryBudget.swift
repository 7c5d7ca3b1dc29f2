import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// The default budget: a quarter of physical memory, between 256 MiB and 4 GiB, and under an
    /// address-space limit (`ulimit -v`) at most half of it (the program, its threads and the
    /// rest of the data need the other half).
    public static var bytes: Int {
        addressSpaceLimit.map { min(machineBytes, $0 / 2) } ?? machineBytes
    }

    /// What `bytes` comes from, for messages.
    public static var origin: String {
        if let limit = addressSpaceLimit, limit / 2 < machineBytes { return "half the address-space limit, ulimit -v" }
        return "a quarter of this machine's memory"
    }

    /// A quarter of physical memory, between 256 MiB and 4 GiB.
    private static var machineBytes: Int {
        Int(min(max(ProcessInfo.processInfo.physicalMemory / 4, 256 << 20), 4 << 30))
    }

    /// The process's address-space limit in bytes (`RLIMIT_AS`), or `nil` when unlimited.
    static var addressSpaceLimit: Int? {
        var limit = rlimit()
        #if canImport(Glibc)
            guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 else { return nil }
        #else
            guard getrlimit(RLIMIT_AS, &limit) == 0 else { return nil }
        #endif
        guard limit.rlim_cur != rlim_t.max else { return nil }  // RLIM_INFINITY
        return Int(clamping: limit.rlim_cur)
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
                    + "\(budget) bytes (\(origin)); use --limit or a smaller file")
        }
    }
}

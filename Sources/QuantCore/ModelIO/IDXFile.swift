import Foundation

/// An array stored in the IDX format of LeCun's MNIST distribution.
///
/// Layout (all integers big-endian):
///
/// | bytes          | content                                               |
/// |----------------|-------------------------------------------------------|
/// | 0, 1           | `00 00`                                               |
/// | 2              | element type code (`IDXElementType`, e.g. 0x08 uint8) |
/// | 3              | rank r (1…8 here)                                     |
/// | 4 ..< 4 + 4r   | r extents as UInt32, outermost first                  |
/// | 4 + 4r ..< end | the elements, row-major, big-endian                   |
///
/// The reader checks every field before it allocates anything, so a tiny file that claims
/// huge extents fails with a clear error instead of exhausting memory. Gzip is not supported:
/// decompress `.gz` files first.
public struct IDXFile: Sendable, Equatable {
    /// The element type from byte 2.
    public let elementType: IDXElementType
    /// The extents from the header, outermost first (e.g. `[N, 28, 28]`).
    public let shape: [Int]
    /// The data section exactly as stored: row-major, big-endian elements.
    public let payload: [UInt8]

    /// The largest rank the reader accepts (the header's rank byte could say up to 255).
    public static let maximumRank = 8

    /// Creates a file from already validated parts (`payload.count == count · byteWidth`).
    init(elementType: IDXElementType, shape: [Int], payload: [UInt8]) {
        self.elementType = elementType
        self.shape = shape
        self.payload = payload
    }

    /// The number of elements (the product of `shape`).
    public var count: Int { payload.count / elementType.byteWidth }

    /// The header length in bytes: 4 for the magic plus 4 per dimension.
    public var headerByteCount: Int { 4 + 4 * shape.count }

    /// Reads and validates the IDX file at `url`, gzip-compressed (`*-ubyte.gz`) or not.
    ///
    /// - Throws: `ModelIOError.unreadable` when the file cannot be read, `.malformed` naming the
    ///   file, the problem and the byte position when its content is not a valid IDX array.
    public static func read(from url: URL) throws -> IDXFile {
        try read(from: url, rowLimit: nil)
    }

    /// Reads the IDX file at `url` like `read(from:)`, keeping only its first `rowLimit` rows
    /// (along axis 0) when that is fewer than it holds: a gzip file is then inflated only as far
    /// as those rows, so `--limit 10` on a huge (or hostile) file reads a few kilobytes.
    public static func read(from url: URL, rowLimit: Int?) throws -> IDXFile {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelIOError.unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ModelIOError.unreadable(path: path, reason: "is a directory, not a file")
        }
        var data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason =
                FileManager.default.isReadableFile(atPath: path)
                ? error.localizedDescription : "permission denied"
            throw ModelIOError.unreadable(path: path, reason: reason)
        }
        let isCompressed = Gzip.isCompressed(data)
        if let rowLimit {
            let head =
                isCompressed ? try Gzip.prefix(of: data, count: 4 + 4 * maximumRank, path: path) : data.prefix(36)
            if let kept = prefixLength(ofFirst: rowLimit, header: head) {
                var prefix = Data(
                    isCompressed ? try Gzip.prefix(of: data, count: kept.bytes, path: path) : data.prefix(kept.bytes))
                for index in 0..<4 { prefix[4 + index] = UInt8(truncatingIfNeeded: kept.rows >> (8 * (3 - index))) }
                return try parse(prefix, path: path)
            }
        }
        if isCompressed { data = try Gzip.decompress(data, path: path) }
        return try parse(data, path: path)
    }

    /// The bytes that hold the header and first `rowLimit` rows, and that row count, read from the
    /// header bytes `header`; `nil` when the header is not valid (the full read reports it) or
    /// the file has no more rows than that.
    static func prefixLength(ofFirst rowLimit: Int, header: Data) -> (bytes: Int, rows: Int)? {
        let bytes = [UInt8](header)
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, let type = IDXElementType(rawValue: bytes[2]) else {
            return nil
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= maximumRank, bytes.count >= 4 + 4 * rank else { return nil }
        let extents = (0..<rank).map { axis in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * axis + $1]) }
        }
        let rows = max(rowLimit, 0)
        guard rows < extents[0] else { return nil }
        var rowBytes = type.byteWidth
        for extent in extents.dropFirst() {
            let (product, overflow) = rowBytes.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            rowBytes = product
        }
        let (body, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow else { return nil }
        return (4 + 4 * rank + body, rows)
    }

    /// Parses and validates IDX bytes; `path` names the source in errors.
    ///
    /// - Throws: `ModelIOError.malformed(path:detail:)` for a bad magic, an unknown type code,
    ///   a rank outside 1…8, extents that overflow, truncated data or trailing bytes.
    public static func parse(_ data: Data, path: String) throws -> IDXFile {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            return try parse(bytes, path: path)
        }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> IDXFile {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: detail) }

        guard bytes.count >= 4 else {
            throw malformed(
                "file is \(bytes.count) byte\(bytes.count == 1 ? "" : "s") long, too short for the 4-byte IDX magic")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            let found = (0..<4).map { String(hex(bytes[$0]).dropFirst(2)) }.joined(separator: " ")
            let hint = bytes[0] == 0x1F && bytes[1] == 0x8B ? " (this looks gzip-compressed: decompress it first)" : ""
            throw malformed(
                "bad magic at bytes 0...3: found \(found), expected 00 00 <type code> <rank>\(hint)")
        }
        guard let elementType = IDXElementType(rawValue: bytes[2]) else {
            let known = IDXElementType.allCases.map(\.codeAndName).joined(separator: ", ")
            throw malformed("unknown element type code \(hex(bytes[2])) at byte 2 (known: \(known))")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= maximumRank else {
            throw malformed("rank \(rank) at byte 3 is outside 1...\(maximumRank)")
        }
        let headerByteCount = 4 + 4 * rank
        guard bytes.count >= headerByteCount else {
            throw malformed(
                "header for rank \(rank) needs \(headerByteCount) bytes, but the file has only \(bytes.count)")
        }
        var shape: [Int] = []
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let extent = (0..<4).reduce(0) { ($0 << 8) | Int(bytes[offset + $1]) }
            shape.append(extent)
        }
        // Multiply with overflow checks: UInt32 extents can describe more than 2^63 bytes. The
        // non-zero extents must multiply without overflow even when one extent is 0.
        var expectedByteCount = elementType.byteWidth
        var addressable = elementType.byteWidth
        for extent in shape {
            let (product, overflow) = addressable.multipliedReportingOverflow(by: max(extent, 1))
            guard !overflow else {
                let dims = shape.map(String.init).joined(separator: " × ")
                throw malformed(
                    "dimensions \(dims) (bytes 4...\(headerByteCount - 1)) describe more data than can be addressed")
            }
            addressable = product
            expectedByteCount *= extent  // never above `addressable`
        }
        let foundByteCount = bytes.count - headerByteCount
        guard foundByteCount == expectedByteCount else {
            let dims = shape.map(String.init).joined(separator: " × ")
            let sizes =
                "expected \(expectedByteCount) bytes of data after the \(headerByteCount)-byte header, found \(foundByteCount)"
            if foundByteCount < expectedByteCount {
                throw malformed("truncated data: \(dims) \(elementType) elements: \(sizes)")
            }
            let extra = foundByteCount - expectedByteCount
            throw malformed(
                "\(extra) trailing byte\(extra == 1 ? "" : "s") after the data: \(dims) \(elementType) elements: \(sizes)"
            )
        }
        let payload = Array(bytes[headerByteCount...])
        return IDXFile(elementType: elementType, shape: shape, payload: payload)
    }

    /// A byte as two upper-case hex digits with a `0x` prefix, e.g. `0x0B`.
    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0x0\(digits)" : "0x\(digits)"
    }
}

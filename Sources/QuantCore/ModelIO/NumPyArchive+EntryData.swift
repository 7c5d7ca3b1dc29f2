import Foundation
import ZIPFoundation

extension NumPyArchive {
    /// The uncompressed contents of `entry`, the `index`-th entry of the archive whose bytes are
    /// `bytes`, checked against the sizes and CRC-32 of its central directory record.
    ///
    /// ZIPFoundation finds the entries; the data is read here from memory (see `Inflate` for why
    /// its own extraction is not used). `path` names the entry in errors.
    ///
    /// - Throws: `ModelIOError.malformed` naming the byte offset of a bad record, or a damaged,
    ///   truncated or oversized entry.
    /// With `prefix`, only the first `prefix` bytes of the entry are inflated and returned
    /// (fewer if it is shorter), without checking its size or CRC. Otherwise the declared size is
    /// checked against the compressed size and `budget` before inflating (`MemoryBudget`).
    static func contents(
        of entry: Entry, index: Int, in bytes: Data, path: String, prefix: Int? = nil,
        budget: Int = MemoryBudget.bytes
    ) throws -> Data {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: detail) }
        func uint(_ offset: Int, _ width: Int) -> Int? {
            guard offset >= 0, offset + width <= bytes.count else { return nil }
            return (0..<width).reduce(0) { $0 | Int(bytes[bytes.startIndex + offset + $1]) << (8 * $1) }
        }
        // The end of central directory record: its signature within the last 64 KiB + 22 bytes.
        var end = bytes.count - 22
        while end >= max(0, bytes.count - 22 - 0xFFFF), uint(end, 4) != 0x0605_4B50 { end -= 1 }
        guard end >= 0, let directoryOffset = uint(end + 16, 4), directoryOffset != 0xFFFF_FFFF else {
            throw malformed("no end of central directory record (ZIP64 archives are not read)")
        }
        var record = directoryOffset
        for _ in 0..<index {
            guard uint(record, 4) == 0x0201_4B50, let name = uint(record + 28, 2), let extra = uint(record + 30, 2),
                let comment = uint(record + 32, 2)
            else { throw malformed("bad central directory record at byte \(record)") }
            record += 46 + name + extra + comment
        }
        guard uint(record, 4) == 0x0201_4B50, let local = uint(record + 42, 4), local != 0xFFFF_FFFF else {
            throw malformed("bad central directory record at byte \(record) (ZIP64 entries are not read)")
        }
        guard uint(local, 4) == 0x0403_4B50, let method = uint(local + 8, 2), let name = uint(local + 26, 2),
            let extra = uint(local + 28, 2)
        else { throw malformed("bad local file header at byte \(local)") }
        let start = local + 30 + name + extra
        let (end64, overflow) = UInt64(start).addingReportingOverflow(entry.compressedSize)
        guard !overflow, end64 <= UInt64(bytes.count) else {
            throw malformed(
                "truncated: \(entry.compressedSize) bytes of data at byte \(start), the file ends at byte \(bytes.count)"
            )
        }
        // A slice of the (mapped) archive, not a copy: a prefix touches only the bytes it needs.
        let stored = bytes[bytes.startIndex + start..<bytes.startIndex + Int(end64)]
        let declared = entry.uncompressedSize
        if let prefix {
            switch method {
            case 0: return Data(stored.prefix(prefix))
            case 8:
                do {
                    return try Inflate.prefix(of: stored, count: prefix)
                } catch {
                    throw malformed("cannot decompress the entry (damaged archive or size mismatch)")
                }
            default: break  // reported below
            }
        }
        if method == 8 {
            try MemoryBudget.check(
                declared: declared, compressed: stored.count, budget: budget, path: path, what: "deflated entry")
        }
        let data: Data
        let crc: CRC32
        switch method {
        case 0:
            data = Data(stored)
            crc = stored.crc32(checksum: 0)
        case 8:
            do {
                (data, crc) = try Inflate.data(from: stored, limit: Int(clamping: declared))
            } catch {
                throw malformed("cannot decompress the entry (damaged archive or size mismatch)")
            }
        default:
            throw malformed("compression method \(method) at byte \(local + 8) is not stored (0) or deflate (8)")
        }
        guard UInt64(data.count) == declared, crc == entry.checksum else {
            throw malformed("cannot decompress the entry (damaged archive or size mismatch)")
        }
        return data
    }
}

import Foundation
import ZIPFoundation

/// Decompresses gzip files (RFC 1952), such as the `*-ubyte.gz` files MNIST is distributed as.
///
/// The header (magic `1f 8b`, method 8 = deflate, optional extra, name, comment and header CRC)
/// is skipped, the deflate stream is inflated (`Inflate`), and the trailer's
/// CRC-32 and size are checked. Output beyond the size the trailer declares is refused, so a
/// small damaged file cannot grow without bound.
enum Gzip {
    /// Whether `data` starts with the gzip magic.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed contents of the gzip bytes `data`; `path` names the file in errors.
    ///
    /// - Throws: `ModelIOError.malformed` naming the byte offset of a bad header, or a damaged
    ///   stream, CRC or size.
    static func decompress(_ data: Data, path: String) throws -> Data {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: "gzip: \(detail)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw malformed("not a gzip file (bad magic at byte 0)")
        }
        guard bytes.count >= 18 else { throw malformed("truncated: \(bytes.count) bytes, at least 18 needed") }
        guard bytes[2] == 8 else { throw malformed("compression method \(bytes[2]) at byte 2 is not deflate (8)") }
        let flags = bytes[3]
        var offset = 10
        if flags & 0x04 != 0 {  // FEXTRA: 2-byte length, then that many bytes
            guard offset + 2 <= bytes.count else { throw malformed("truncated extra field at byte \(offset)") }
            offset += 2 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while offset < bytes.count, bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 { offset += 2 }  // FHCRC
        guard offset + 8 <= bytes.count else { throw malformed("truncated header at byte \(offset)") }
        let trailer = bytes.count - 8
        let storedCRC = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[trailer + $1]) << (8 * $1) }
        let storedSize = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[trailer + 4 + $1]) << (8 * $1) }
        let stream = data.subdata(in: data.startIndex + offset..<data.startIndex + trailer)
        let output: Data
        let crc: CRC32
        do {
            (output, crc) = try Inflate.data(from: stream, limit: Int(storedSize))
        } catch {
            throw malformed(
                "damaged deflate stream after byte \(offset), or larger than the trailer's \(storedSize) bytes (over 4 GiB is not read)"
            )
        }
        guard crc == storedCRC, UInt32(truncatingIfNeeded: output.count) == storedSize else {
            throw malformed("CRC or size in the trailer at byte \(trailer) does not match the contents")
        }
        return output
    }
}

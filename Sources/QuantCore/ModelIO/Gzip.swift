import Foundation
import ZIPFoundation

/// Decompresses gzip files (RFC 1952), such as the `*-ubyte.gz` files MNIST is distributed as.
///
/// Each member's header (magic `1f 8b`, method 8 = deflate, optional extra, name, comment and
/// header CRC) is skipped, its deflate stream inflated (`Inflate`), and its trailer's CRC-32 and
/// size checked; members concatenated in one file (`cat a.gz b.gz`, valid gzip) are joined.
/// The size the last trailer declares is checked against the compressed size and the memory
/// budget before inflating (`MemoryBudget`), and output beyond the budget is refused, so
/// a small file cannot grow without bound.
enum Gzip {
    /// Whether `data` starts with the gzip magic.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed contents of the gzip bytes `data`; `path` names the file in errors.
    ///
    /// - Throws: `ModelIOError.malformed` naming the byte offset of a bad header, or a damaged
    ///   stream, CRC or size; `.incompatible` for more than `budget` bytes.
    static func decompress(_ data: Data, path: String, budget: Int = MemoryBudget.bytes) throws -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw malformed(path, "not a gzip file (bad magic at byte 0)")
        }
        guard bytes.count >= 18 else { throw malformed(path, "truncated: \(bytes.count) bytes, at least 18 needed") }
        let declared = UInt64(littleEndian32(bytes, at: bytes.count - 4))
        try MemoryBudget.check(
            declared: declared, compressed: bytes.count, budget: budget, path: path, what: "gzip")
        var output = Data()
        var member = 0
        while member < bytes.count {
            let start = try streamStart(bytes, at: member, path: path)
            let stream = data.subdata(in: data.startIndex + start..<data.endIndex)
            let inflated: Data
            let crc: CRC32
            do {
                (inflated, crc) = try Inflate.data(from: stream, limit: budget - output.count)
            } catch Inflate.Failure.tooLarge {
                throw ModelIOError.incompatible(
                    path: path, detail: "gzip: inflates to more than the memory budget of \(budget) bytes")
            } catch {
                throw malformed(path, "damaged deflate stream after byte \(start)")
            }
            // The member's trailer follows its deflate stream: find it by its content.
            let trailer = trailerBytes(crc: crc, size: inflated.count)
            guard let end = find(trailer, in: bytes, from: start) else {
                throw malformed(
                    path, "CRC or size in the trailer at byte \(bytes.count - 8) does not match the contents")
            }
            output.append(inflated)
            member = end + trailer.count
            // Zero padding after the last member is allowed (tape blocks), as gzip itself does.
            if member < bytes.count, bytes[member] != 0x1F, bytes[member...].allSatisfy({ $0 == 0 }) { break }
        }
        return output
    }

    /// The first `count` decompressed bytes (fewer when the contents are shorter), inflating no
    /// more than that and checking no CRC: what a reader that needs only a prefix asks for.
    static func prefix(
        of data: Data, count: Int, path: String, budget: Int = MemoryBudget.bytes
    ) throws
        -> Data
    {
        let bytes = [UInt8](data)
        let start = try streamStart(bytes, at: 0, path: path)
        let first: Data
        do {
            first = try Inflate.prefix(of: data.subdata(in: data.startIndex + start..<data.endIndex), count: count)
        } catch {
            throw malformed(path, "damaged deflate stream after byte \(start)")
        }
        if first.count >= count { return first }
        return try decompress(data, path: path, budget: budget).prefix(count)  // several members
    }

    private static func malformed(_ path: String, _ detail: String) -> ModelIOError {
        .malformed(path: path, detail: "gzip: \(detail)")
    }

    /// Where the deflate stream of the member starting at `offset` begins.
    private static func streamStart(_ bytes: [UInt8], at member: Int, path: String) throws -> Int {
        guard bytes.count >= member + 2, bytes[member] == 0x1F, bytes[member + 1] == 0x8B else {
            throw malformed(path, "not a gzip file (bad magic at byte \(member))")
        }
        guard bytes.count >= member + 18 else {
            throw malformed(path, "truncated member at byte \(member): at least 18 bytes needed")
        }
        guard bytes[member + 2] == 8 else {
            throw malformed(path, "compression method \(bytes[member + 2]) at byte \(member + 2) is not deflate (8)")
        }
        let flags = bytes[member + 3]
        var offset = member + 10
        if flags & 0x04 != 0 {  // FEXTRA: 2-byte length, then that many bytes
            guard offset + 2 <= bytes.count else { throw malformed(path, "truncated extra field at byte \(offset)") }
            offset += 2 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while offset < bytes.count, bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 { offset += 2 }  // FHCRC
        guard offset + 8 <= bytes.count else { throw malformed(path, "truncated header at byte \(offset)") }
        return offset
    }

    /// The 8 trailer bytes of a member with these contents: CRC-32 then size mod 2³², little-endian.
    private static func trailerBytes(crc: CRC32, size: Int) -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: size)
        return (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    }

    /// The first position ≥ `start` where `pattern` occurs, followed by the end, another member
    /// or zero padding.
    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var position = start
        while position + pattern.count <= bytes.count {
            if bytes[position] == pattern[0], Array(bytes[position..<position + pattern.count]) == pattern {
                let next = position + pattern.count
                if next == bytes.count || bytes[next] == 0x1F || bytes[next] == 0 { return position }
            }
            position += 1
        }
        return nil
    }

    private static func littleEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}

import Foundation

/// A small, bounds-checked FlatBuffers reader for the tests: it follows the binary format
/// independently of `FlatBufferBuilder` (root offset, soffset to the vtable, field offsets,
/// vectors and strings), so a builder bug shows up as a wrong value or a thrown error.
struct FlatBufferReader {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    let bytes: [UInt8]

    /// A table at an absolute position.
    struct Table {
        let reader: FlatBufferReader
        let position: Int

        /// The absolute position of field `id`'s value, nil when absent.
        func fieldPosition(_ id: Int) throws -> Int? {
            let vtable = position - Int(try reader.int32(at: position))
            let vtableBytes = Int(try reader.uint16(at: vtable))
            guard vtableBytes >= 4, vtableBytes % 2 == 0 else {
                throw Malformed(description: "vtable size \(vtableBytes)")
            }
            let entry = 4 + 2 * id
            guard entry < vtableBytes else { return nil }
            let offset = Int(try reader.uint16(at: vtable + entry))
            let tableBytes = Int(try reader.uint16(at: vtable + 2))
            guard offset < tableBytes else {
                throw Malformed(description: "field \(id) offset \(offset) outside the table")
            }
            return offset == 0 ? nil : position + offset
        }

        func int8(_ id: Int, default value: Int8 = 0) throws -> Int8 {
            guard let at = try fieldPosition(id) else { return value }
            return Int8(bitPattern: try reader.byte(at: at))
        }

        func uint8(_ id: Int, default value: UInt8 = 0) throws -> UInt8 {
            guard let at = try fieldPosition(id) else { return value }
            return try reader.byte(at: at)
        }

        func int32(_ id: Int, default value: Int32 = 0) throws -> Int32 {
            guard let at = try fieldPosition(id) else { return value }
            try reader.checkAligned(at, 4)
            return try reader.int32(at: at)
        }

        func uint32(_ id: Int, default value: UInt32 = 0) throws -> UInt32 {
            UInt32(bitPattern: try int32(id, default: Int32(bitPattern: value)))
        }

        func float(_ id: Int, default value: Float = 0) throws -> Float {
            Float(bitPattern: try uint32(id, default: value.bitPattern))
        }

        /// The object a `uoffset` field points at.
        func target(_ id: Int) throws -> Int? {
            guard let at = try fieldPosition(id) else { return nil }
            try reader.checkAligned(at, 4)
            return at + Int(try reader.uint32(at: at))
        }

        func table(_ id: Int) throws -> Table? {
            try target(id).map { try reader.table(at: $0) }
        }

        func string(_ id: Int) throws -> String? {
            try target(id).map { try reader.string(at: $0) }
        }

        /// `(count, absolute position of element 0)` of a vector field.
        func vector(_ id: Int, elementSize: Int) throws -> (count: Int, start: Int)? {
            guard let at = try target(id) else { return nil }
            try reader.checkAligned(at, 4)
            let count = Int(try reader.uint32(at: at))
            guard at + 4 + count * elementSize <= reader.bytes.count else {
                throw Malformed(description: "vector of \(count) at \(at) runs past the end")
            }
            return (count, at + 4)
        }

        func int32s(_ id: Int) throws -> [Int32]? {
            guard let (count, start) = try vector(id, elementSize: 4) else { return nil }
            return try (0..<count).map { try reader.int32(at: start + 4 * $0) }
        }

        func int64s(_ id: Int) throws -> [Int64]? {
            guard let (count, start) = try vector(id, elementSize: 8) else { return nil }
            try reader.checkAligned(start, 8)
            return try (0..<count).map { index in
                let low = UInt64(try reader.uint32(at: start + 8 * index))
                let high = UInt64(try reader.uint32(at: start + 8 * index + 4))
                return Int64(bitPattern: low | high << 32)
            }
        }

        func floats(_ id: Int) throws -> [Float]? {
            try int32s(id).map { $0.map { Float(bitPattern: UInt32(bitPattern: $0)) } }
        }

        func bytes(_ id: Int) throws -> (data: [UInt8], start: Int)? {
            guard let (count, start) = try vector(id, elementSize: 1) else { return nil }
            return (Array(reader.bytes[start..<(start + count)]), start)
        }

        func tables(_ id: Int) throws -> [Table]? {
            guard let (count, start) = try vector(id, elementSize: 4) else { return nil }
            return try (0..<count).map { index in
                let at = start + 4 * index
                return try reader.table(at: at + Int(try reader.uint32(at: at)))
            }
        }
    }

    /// The root table (after checking the identifier, when given).
    func root(identifier: String? = nil) throws -> Table {
        if let identifier {
            guard bytes.count >= 8, Array(bytes[4..<8]) == Array(identifier.utf8) else {
                throw Malformed(description: "file identifier is not \(identifier)")
            }
        }
        return try table(at: Int(try uint32(at: 0)))
    }

    func table(at position: Int) throws -> Table {
        try checkAligned(position, 4)
        return Table(reader: self, position: position)
    }

    func string(at position: Int) throws -> String {
        try checkAligned(position, 4)
        let count = Int(try uint32(at: position))
        guard position + 4 + count < bytes.count, bytes[position + 4 + count] == 0 else {
            throw Malformed(description: "string at \(position) is not zero-terminated")
        }
        return String(decoding: bytes[(position + 4)..<(position + 4 + count)], as: UTF8.self)
    }

    func checkAligned(_ position: Int, _ alignment: Int) throws {
        guard position % alignment == 0 else { throw Malformed(description: "\(position) is not \(alignment)-aligned") }
    }

    func byte(at position: Int) throws -> UInt8 {
        guard position >= 0, position < bytes.count else { throw Malformed(description: "byte \(position) outside") }
        return bytes[position]
    }

    func uint16(at position: Int) throws -> UInt16 {
        UInt16(try byte(at: position)) | UInt16(try byte(at: position + 1)) << 8
    }

    func uint32(at position: Int) throws -> UInt32 {
        try (0..<4).reduce(UInt32(0)) { $0 | UInt32(try byte(at: position + $1)) << (8 * $1) }
    }

    func int32(at position: Int) throws -> Int32 {
        Int32(bitPattern: try uint32(at: position))
    }
}

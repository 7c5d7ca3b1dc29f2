import Foundation

/// A minimal FlatBuffers writer: enough to serialize a TensorFlow Lite model (tables with scalar,
/// offset and union fields; strings; vectors of scalars and of tables; a file identifier).
///
/// No Swift FlatBuffers package is available to this project (the local package mirror has none,
/// and quantdash keeps to Apple's packages and ZIPFoundation), so this writer is written here
/// against the FlatBuffers binary format (<https://flatbuffers.dev/internals/>). Like the
/// reference builders it fills the buffer back to front: every object is written before the
/// objects that refer to it, and an `Offset` is the object's distance from the buffer's end, which
/// stays valid as the buffer grows at the front.
///
/// - Scalars are little-endian and aligned to their size; each `uoffset` (32-bit) points forward.
/// - A table starts with an `soffset` to its vtable (`[vtable bytes, table bytes, field offsets]`,
///   16-bit each); identical vtables are shared; trailing absent fields are trimmed.
/// - A vector is a 32-bit count followed by its elements, its data aligned to the element size
///   (or more: `alignment`, e.g. 16 for TFLite's buffer data); a string is a vector of bytes with a
///   terminating zero that the count excludes.
///
/// Misuse (a nested table, a field outside the declared count) is a programming error and traps.
public struct FlatBufferBuilder {
    /// A written object: its distance from the end of the buffer.
    public struct Offset: Equatable, Sendable {
        /// Bytes from the object's start to the end of the buffer.
        public let value: Int
    }

    /// Bytes written so far live in `storage[head...]`.
    private var storage: [UInt8]
    private var head: Int
    /// The largest alignment required so far; `finish` pads the whole buffer to it.
    private var minimumAlignment = 1
    /// Per field of the open table, the position of its value (0: absent).
    private var fieldPositions: [Int] = []
    /// Where the open table's fields began; nil when no table is open.
    private var tableStart: Int?
    /// Positions of the vtables written, for sharing.
    private var vtables: [Int] = []

    /// An empty builder with room for `capacity` bytes before it grows.
    public init(capacity: Int = 1024) {
        storage = [UInt8](repeating: 0, count: max(capacity, 16))
        head = storage.count
    }

    /// Bytes written so far.
    public var size: Int { storage.count - head }

    // MARK: - Raw writing

    private mutating func grow(toFit count: Int) {
        guard head < count else { return }
        var newCount = storage.count
        while newCount - size < count { newCount *= 2 }
        var grown = [UInt8](repeating: 0, count: newCount)
        let used = size
        grown.replaceSubrange((newCount - used)..<newCount, with: storage[head...])
        storage = grown
        head = newCount - used
    }

    /// Pads with zeros so that, after `additional` more bytes, the size is a multiple of `alignment`.
    private mutating func prepare(alignment: Int, additional: Int) {
        minimumAlignment = max(minimumAlignment, alignment)
        let padding = (alignment - ((size + additional) % alignment)) % alignment
        grow(toFit: padding + additional)
        for _ in 0..<padding {
            head -= 1
            storage[head] = 0
        }
    }

    private mutating func pushBytes<T: FixedWidthInteger>(_ value: T) {
        let count = MemoryLayout<T>.size
        grow(toFit: count)
        head -= count
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes in
            for index in 0..<count { storage[head + index] = bytes[index] }
        }
    }

    /// Writes an aligned scalar.
    private mutating func push<T: FixedWidthInteger>(_ value: T) {
        prepare(alignment: MemoryLayout<T>.size, additional: 0)
        pushBytes(value)
    }

    /// Writes a `uoffset` pointing at `target`, aligned.
    private mutating func pushOffset(_ target: Offset) {
        prepare(alignment: 4, additional: 0)
        precondition(target.value <= size, "FlatBufferBuilder: an offset must point at an object already written")
        pushBytes(UInt32(size - target.value + 4))
    }

    private func checkNoOpenTable() {
        precondition(tableStart == nil, "FlatBufferBuilder: objects cannot be created inside an open table")
    }

    // MARK: - Strings and vectors

    /// Writes a UTF-8 string (zero-terminated, the count excluding the zero).
    public mutating func createString(_ string: String) -> Offset {
        checkNoOpenTable()
        let bytes = Array(string.utf8)
        prepare(alignment: 4, additional: bytes.count + 1)
        grow(toFit: bytes.count + 1)
        head -= 1
        storage[head] = 0
        head -= bytes.count
        storage.replaceSubrange(head..<(head + bytes.count), with: bytes)
        pushBytes(UInt32(bytes.count))
        return Offset(value: size)
    }

    /// Writes a vector of scalars whose data starts at a multiple of `alignment` (at least the
    /// element size and 4).
    public mutating func createVector<T: FixedWidthInteger>(_ values: [T], alignment: Int = 1) -> Offset {
        checkNoOpenTable()
        let elementSize = MemoryLayout<T>.size
        let byteCount = values.count * elementSize
        prepare(alignment: 4, additional: byteCount)
        prepare(alignment: max(alignment, elementSize), additional: byteCount)
        for value in values.reversed() { pushBytes(value) }
        pushBytes(UInt32(values.count))
        return Offset(value: size)
    }

    /// Writes a vector of IEEE 754 single-precision values.
    public mutating func createVector(_ values: [Float]) -> Offset {
        createVector(values.map(\.bitPattern))
    }

    /// Writes a vector of raw bytes (`[ubyte]`) whose data starts at a multiple of `alignment`.
    public mutating func createVector(bytes: [UInt8], alignment: Int = 1) -> Offset {
        checkNoOpenTable()
        prepare(alignment: 4, additional: bytes.count)
        prepare(alignment: max(alignment, 1), additional: bytes.count)
        grow(toFit: bytes.count)
        head -= bytes.count
        storage.replaceSubrange(head..<(head + bytes.count), with: bytes)
        pushBytes(UInt32(bytes.count))
        return Offset(value: size)
    }

    /// Writes a vector of offsets (tables or strings written before).
    public mutating func createVector(offsets: [Offset]) -> Offset {
        checkNoOpenTable()
        prepare(alignment: 4, additional: 4 * offsets.count)
        for offset in offsets.reversed() { pushOffset(offset) }
        pushBytes(UInt32(offsets.count))
        return Offset(value: size)
    }

    // MARK: - Tables

    /// Opens a table with `fieldCount` field slots (ids `0..<fieldCount`).
    public mutating func startTable(fieldCount: Int) {
        checkNoOpenTable()
        fieldPositions = [Int](repeating: 0, count: fieldCount)
        tableStart = size
    }

    private mutating func record(_ field: Int) {
        precondition(tableStart != nil, "FlatBufferBuilder: no table is open")
        precondition(fieldPositions.indices.contains(field), "FlatBufferBuilder: field \(field) is out of range")
        fieldPositions[field] = size
    }

    /// Adds a scalar field unless it equals the schema's default (then readers see the default).
    public mutating func add<T: FixedWidthInteger>(_ value: T, at field: Int, default defaultValue: T = 0) {
        guard value != defaultValue else { return }
        push(value)
        record(field)
    }

    /// Adds a `float` field unless it equals the default.
    public mutating func add(_ value: Float, at field: Int, default defaultValue: Float = 0) {
        guard value != defaultValue else { return }
        push(value.bitPattern)
        record(field)
    }

    /// Adds a `bool` field unless it equals the default.
    public mutating func add(_ value: Bool, at field: Int, default defaultValue: Bool = false) {
        add(UInt8(value ? 1 : 0), at: field, default: UInt8(defaultValue ? 1 : 0))
    }

    /// Adds a field pointing at a string, vector or table.
    public mutating func add(_ offset: Offset, at field: Int) {
        pushOffset(offset)
        record(field)
    }

    /// Adds a union: its type byte at `typeField` and its value at `typeField + 1`, as `flatc`
    /// numbers them (`NONE` = 0 writes neither).
    public mutating func addUnion(type: UInt8, value: Offset?, atTypeField typeField: Int) {
        guard type != 0, let value else { return }
        add(type, at: typeField)
        add(value, at: typeField + 1)
    }

    /// Closes the open table, writing (or sharing) its vtable; returns the table.
    public mutating func endTable() -> Offset {
        guard let start = tableStart else { preconditionFailure("FlatBufferBuilder: no table is open") }
        push(Int32(0))  // the soffset to the vtable, patched below
        let table = size
        let lastPresent = (fieldPositions.lastIndex { $0 != 0 } ?? -1) + 1
        var vtable: [UInt16] = [UInt16((2 + lastPresent) * 2), UInt16(table - start)]
        for position in fieldPositions.prefix(lastPresent) {
            vtable.append(position == 0 ? 0 : UInt16(table - position))
        }
        let vtablePosition: Int
        if let shared = vtables.first(where: { vtableAt($0) == vtable }) {
            vtablePosition = shared
        } else {
            for entry in vtable.reversed() { pushBytes(entry) }
            vtablePosition = size
            vtables.append(vtablePosition)
        }
        // soffset = table address − vtable address, with address = final size − position.
        let soffset = Int32(vtablePosition - table)
        withUnsafeBytes(of: soffset.littleEndian) { bytes in
            let index = storage.count - table
            for byte in 0..<4 { storage[index + byte] = bytes[byte] }
        }
        tableStart = nil
        fieldPositions = []
        return Offset(value: table)
    }

    /// The vtable written at `position` (distance from the end).
    private func vtableAt(_ position: Int) -> [UInt16] {
        let index = storage.count - position
        func read(_ at: Int) -> UInt16 { UInt16(storage[at]) | UInt16(storage[at + 1]) << 8 }
        let byteCount = Int(read(index))
        return stride(from: 0, to: byteCount, by: 2).map { read(index + $0) }
    }

    // MARK: - Finishing

    /// Writes the root offset (and the 4-character file identifier, if any) and returns the
    /// finished buffer.
    public mutating func finish(root: Offset, fileIdentifier: String? = nil) -> [UInt8] {
        checkNoOpenTable()
        let identifier = Array((fileIdentifier ?? "").utf8)
        precondition(identifier.isEmpty || identifier.count == 4, "FlatBufferBuilder: identifiers have 4 bytes")
        prepare(alignment: max(minimumAlignment, 4), additional: 4 + identifier.count)
        if !identifier.isEmpty {
            grow(toFit: 4)
            head -= 4
            storage.replaceSubrange(head..<(head + 4), with: identifier)
        }
        pushOffset(root)
        return Array(storage[head...])
    }
}

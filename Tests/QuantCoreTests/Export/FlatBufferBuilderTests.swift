import Foundation
import Testing

@testable import QuantCore

/// The FlatBuffers writer behind the TFLite export, read back with an independent reader.
@Suite struct FlatBufferBuilderTests {
    /// One table with one `int` field = 7: the layout the format prescribes, byte for byte
    /// (root uoffset 12; 2 bytes of padding; vtable [6, 8, 4] at 6; the table at 12 with its
    /// soffset 6 back to the vtable, the field 4 bytes into the table).
    @Test func aOneFieldTableHasTheFormatsExactBytes() {
        var builder = FlatBufferBuilder()
        builder.startTable(fieldCount: 1)
        builder.add(Int32(7), at: 0)
        let table = builder.endTable()
        let bytes = builder.finish(root: table)
        #expect(
            bytes == [
                12, 0, 0, 0, 0, 0, 6, 0, 8, 0, 4, 0,
                6, 0, 0, 0, 7, 0, 0, 0,
            ])
    }

    @Test func scalarsRoundTripAndDefaultsAreLeftOut() throws {
        var builder = FlatBufferBuilder()
        builder.startTable(fieldCount: 6)
        builder.add(Int8(-3), at: 0)
        builder.add(Int32(0), at: 1)  // the default: absent
        builder.add(Int32(-123_456), at: 2)
        builder.add(Float(0.15625), at: 3)
        builder.add(true, at: 4)
        builder.add(Int32(1), at: 5, default: 1)  // a non-zero default: absent too
        let table = builder.endTable()
        let reader = FlatBufferReader(bytes: builder.finish(root: table))
        let root = try reader.root()
        #expect(try root.int8(0) == -3)
        #expect(try root.fieldPosition(1) == nil)
        #expect(try root.int32(1, default: 99) == 99)
        #expect(try root.int32(2) == -123_456)
        #expect(try root.float(3) == 0.15625)
        #expect(try root.uint8(4) == 1)
        #expect(try root.fieldPosition(5) == nil)
        #expect(try root.int32(5, default: 1) == 1)
    }

    @Test func trailingAbsentFieldsAreTrimmedFromTheVtable() throws {
        var builder = FlatBufferBuilder()
        builder.startTable(fieldCount: 10)
        builder.add(Int32(5), at: 1)
        let table = builder.endTable()
        let reader = FlatBufferReader(bytes: builder.finish(root: table))
        let root = try reader.root()
        let vtable = root.position - Int(try reader.int32(at: root.position))
        #expect(try reader.uint16(at: vtable) == 8)  // size, object size, fields 0 and 1
        #expect(try root.int32(1) == 5)
        #expect(try root.int32(9, default: -1) == -1)
    }

    @Test func stringsAreZeroTerminatedAlignedAndUTF8() throws {
        let texts = ["", "a", "abcd", "größer · ≤ 8×", String(repeating: "x", count: 1000)]
        var builder = FlatBufferBuilder(capacity: 16)
        let offsets = texts.map { builder.createString($0) }
        let vector = builder.createVector(offsets: offsets)
        builder.startTable(fieldCount: 1)
        builder.add(vector, at: 0)
        let table = builder.endTable()
        let reader = FlatBufferReader(bytes: builder.finish(root: table))
        let (count, start) = try #require(try reader.root().vector(0, elementSize: 4))
        #expect(count == texts.count)
        for (index, text) in texts.enumerated() {
            let at = start + 4 * index
            #expect(try reader.string(at: at + Int(try reader.uint32(at: at))) == text)
        }
    }

    @Test func scalarVectorsKeepTheirAlignment() throws {
        var builder = FlatBufferBuilder(capacity: 16)
        let byte = builder.createVector(bytes: [1, 2, 3])
        let wide = builder.createVector([Int64.min, -1, 0, Int64.max])
        let aligned = builder.createVector(bytes: Array(0..<37), alignment: 16)
        let ints = builder.createVector([Int32](-5...5))
        let floats = builder.createVector([Float.pi, -0.0, .infinity])
        builder.startTable(fieldCount: 5)
        builder.add(byte, at: 0)
        builder.add(wide, at: 1)
        builder.add(aligned, at: 2)
        builder.add(ints, at: 3)
        builder.add(floats, at: 4)
        let root = try FlatBufferReader(bytes: builder.finish(root: builder.endTable())).root()
        #expect(try root.bytes(0)?.data == [1, 2, 3])
        #expect(try root.int64s(1) == [Int64.min, -1, 0, Int64.max])
        let data = try #require(try root.bytes(2))
        #expect(data.data == Array(0..<37))
        #expect(data.start % 16 == 0)
        #expect(try root.int32s(3) == Array(-5...5))
        #expect(try root.floats(4)?.map(\.bitPattern) == [Float.pi, -0.0, .infinity].map(\.bitPattern))
    }

    @Test func vectorsOfTablesReadBackInOrderAndShareVtables() throws {
        var builder = FlatBufferBuilder()
        var tables: [FlatBufferBuilder.Offset] = []
        for index in 0..<5 {
            let name = builder.createString("t\(index)")
            builder.startTable(fieldCount: 2)
            builder.add(Int32(index * 10 + 1), at: 0)
            builder.add(name, at: 1)
            tables.append(builder.endTable())
        }
        let vector = builder.createVector(offsets: tables)
        builder.startTable(fieldCount: 1)
        builder.add(vector, at: 0)
        let reader = FlatBufferReader(bytes: builder.finish(root: builder.endTable()))
        let items = try #require(try reader.root().tables(0))
        #expect(try items.map { try $0.int32(0) } == [1, 11, 21, 31, 41])
        #expect(try items.map { try $0.string(1) } == ["t0", "t1", "t2", "t3", "t4"])
        let vtables = try Set(items.map { $0.position - Int(try reader.int32(at: $0.position)) })
        #expect(vtables.count == 1, "identical layouts share one vtable")
    }

    @Test func unionsStoreTheirTypeThenTheirValue() throws {
        var builder = FlatBufferBuilder()
        builder.startTable(fieldCount: 2)
        builder.add(Int32(42), at: 1)
        let member = builder.endTable()
        builder.startTable(fieldCount: 4)
        builder.add(UInt32(9), at: 0)
        builder.addUnion(type: 5, value: member, atTypeField: 2)
        let withUnion = builder.endTable()
        builder.startTable(fieldCount: 4)
        builder.addUnion(type: 0, value: member, atTypeField: 2)
        let withoutUnion = builder.endTable()
        let vector = builder.createVector(offsets: [withUnion, withoutUnion])
        builder.startTable(fieldCount: 1)
        builder.add(vector, at: 0)
        let reader = FlatBufferReader(bytes: builder.finish(root: builder.endTable()))
        let items = try #require(try reader.root().tables(0))
        #expect(try items[0].uint32(0) == 9)
        #expect(try items[0].uint8(2) == 5)
        #expect(try items[0].table(3)?.int32(1) == 42)
        #expect(try items[1].fieldPosition(2) == nil)
        #expect(try items[1].fieldPosition(3) == nil)
    }

    @Test func theFileIdentifierFollowsTheRootOffsetAndTheBufferGrows() throws {
        var builder = FlatBufferBuilder(capacity: 16)
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let data = builder.createVector(bytes: payload, alignment: 16)
        builder.startTable(fieldCount: 1)
        builder.add(data, at: 0)
        let bytes = builder.finish(root: builder.endTable(), fileIdentifier: "TFL3")
        #expect(Array(bytes[4..<8]) == Array("TFL3".utf8))
        #expect(bytes.count % 16 == 0, "the buffer is padded to its largest alignment")
        let reader = FlatBufferReader(bytes: bytes)
        let read = try #require(try reader.root(identifier: "TFL3").bytes(0))
        #expect(read.data == payload)
        #expect(read.start % 16 == 0)
    }
}

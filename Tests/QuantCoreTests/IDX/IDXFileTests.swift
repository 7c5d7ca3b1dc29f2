import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct IDXFileTests {
    /// Values at the edges of each type's range, written as shape [2, 3] and read back.
    static let roundTripCases: [(IDXElementType, [Float])] = [
        (.uint8, [0, 1, 127, 128, 254, 255]),
        (.int8, [-128, -1, 0, 1, 100, 127]),
        (.int16, [-32768, -1, 0, 1, 300, 32767]),
        // Float holds these int32 values exactly (|x| ≤ 2^24, or powers of two).
        (.int32, [-2_147_483_648, -16_777_216, -1, 0, 70000, 16_777_216]),
        (.float32, [-1.5, 0, .pi, 1e-30, -3.4e38, .infinity]),
        (.float64, [-0.1, 0, 1, Float.leastNonzeroMagnitude, 123.456, -.infinity]),
    ]

    @Test(arguments: roundTripCases)
    func roundTrip(elementType: IDXElementType, values: [Float]) throws {
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("values.idx")
        try IDXFile.write(values, shape: [2, 3], as: elementType, to: url)

        let file = try IDXFile.read(from: url)
        #expect(file.elementType == elementType)
        #expect(file.shape == [2, 3])
        #expect(file.count == 6)
        #expect(file.floatValues() == values)
        #expect(file.tensor() == Tensor(shape: [2, 3], storage: values))
        #expect(file.payload.count == 6 * elementType.byteWidth)
        // 4 magic bytes + 2 extents of 4 bytes + the data.
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        #expect(size == 12 + 6 * elementType.byteWidth)
        if elementType.isInteger {
            #expect(file.integerValues() == values.map { Int($0) })
        } else {
            #expect(file.integerValues() == nil)
        }
        // Writing the file back reproduces it byte for byte.
        let copy = folder.appendingPathComponent("copy.idx")
        try file.write(to: copy)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: url))
    }

    @Test func bytesAreBigEndianLikeMNIST() throws {
        let data = try IDXFile.encode([1, 258, -2], shape: [3], as: .int16, path: "t.idx")
        // magic 00 00 0B 01, extent 3, then 0x0001, 0x0102, 0xFFFE.
        #expect(Array(data) == [0, 0, 0x0B, 1, 0, 0, 0, 3, 0x00, 0x01, 0x01, 0x02, 0xFF, 0xFE])

        let pixels = try IDXFile.encode([0, 255, 7, 9], shape: [1, 2, 2], as: .uint8, path: "p.idx")
        #expect(Array(pixels) == [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 7, 9])
        let parsed = try IDXFile.parse(pixels, path: "p.idx")
        #expect(parsed.uint8Values == [0, 255, 7, 9])
        #expect(parsed.tensor(dividedBy: 255).storage == [0, 1, Float(7) / 255, Float(9) / 255])
    }

    @Test func float32BitPatternSurvives() throws {
        let values: [Float] = [-0.0, .nan, .greatestFiniteMagnitude, -Float.leastNormalMagnitude]
        let data = try IDXFile.encode(values, shape: [4], as: .float32, path: "f.idx")
        let read = try IDXFile.parse(data, path: "f.idx").floatValues()
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(try IDXFile.parse(data, path: "f.idx").uint8Values == nil)
    }

    @Test func emptyExtentIsAllowed() throws {
        let data = try IDXFile.encode([], shape: [0, 28, 28], as: .uint8, path: "e.idx")
        let file = try IDXFile.parse(data, path: "e.idx")
        #expect(file.shape == [0, 28, 28])
        #expect(file.count == 0)
    }

    @Test(arguments: [
        (IDXElementType.uint8, Float(256), "element 1 is 256.0, which uint8 cannot hold (whole numbers 0...255)"),
        (.uint8, -1, "element 1 is -1.0, which uint8 cannot hold (whole numbers 0...255)"),
        (.int8, 1.5, "element 1 is 1.5, which int8 cannot hold (whole numbers -128...127)"),
        (.int16, .nan, "element 1 is nan, which int16 cannot hold (whole numbers -32768...32767)"),
        (.int32, 3e9, "element 1 is 3e+09, which int32 cannot hold (whole numbers -2147483648...2147483647)"),
    ])
    func writingRejectsValuesTheTypeCannotHold(elementType: IDXElementType, value: Float, reason: String) {
        #expect(throws: ModelIOError.writeFailed(path: "out.idx", reason: reason)) {
            try IDXFile.encode([0, value], shape: [2], as: elementType, path: "out.idx")
        }
    }

    @Test func writingRejectsBadShapes() {
        #expect(throws: ModelIOError.writeFailed(path: "o.idx", reason: "shape [2, 2] does not match 3 values")) {
            try IDXFile.encode([1, 2, 3], shape: [2, 2], as: .float32, path: "o.idx")
        }
        #expect(
            throws: ModelIOError.writeFailed(path: "o.idx", reason: "an IDX array needs 1...8 dimensions, got shape []")
        ) {
            try IDXFile.encode([1], shape: [], as: .float32, path: "o.idx")
        }
        let tooLong = 1 << 32
        #expect(
            throws: ModelIOError.writeFailed(
                path: "o.idx", reason: "every extent must be in 0...4294967295, got shape [\(tooLong)]")
        ) {
            try IDXFile.encode([], shape: [tooLong], as: .uint8, path: "o.idx")
        }
    }

    @Test func errorDescriptionNamesTheFile() {
        let error = ModelIOError.writeFailed(path: "out.idx", reason: "shape [2] does not match 3 values")
        #expect(error.description == "out.idx: cannot write: shape [2] does not match 3 values")
    }
}

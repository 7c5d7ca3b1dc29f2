import Foundation

/// One NumPy array as stored in a `.npy` file (or an entry of an `.npz` archive): its element
/// type, shape and raw little-endian payload, in C (row-major) order.
///
/// The format (numpy.lib.format): the magic `\x93NUMPY`, a major and minor version byte, the
/// header length (2 bytes little-endian in version 1, 4 bytes in versions 2 and 3), then a
/// Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (50, 784), }`,
/// padded with spaces and a newline, then the values. Parsing is strict: every field is checked
/// and the payload must hold exactly `count × byteWidth` bytes before anything is allocated.
public struct NumPyArray: Sendable, Equatable {
    /// The element types read: NumPy's `descr` without the byte-order character.
    public enum ElementType: String, Sendable, CaseIterable {
        /// `u1`: unsigned 8-bit integers (pixels).
        case uint8 = "u1"
        /// `i1`: signed 8-bit integers.
        case int8 = "i1"
        /// `u2`: unsigned 16-bit integers.
        case uint16 = "u2"
        /// `i4`: signed 32-bit integers.
        case int32 = "i4"
        /// `i8`: signed 64-bit integers (NumPy's default for labels).
        case int64 = "i8"
        /// `f4`: IEEE 754 single precision.
        case float32 = "f4"
        /// `f8`: IEEE 754 double precision.
        case float64 = "f8"

        /// Bytes per element.
        public var byteWidth: Int {
            switch self {
            case .uint8, .int8: 1
            case .uint16: 2
            case .int32, .float32: 4
            case .int64, .float64: 8
            }
        }

        /// Whether the values are integers (usable as labels).
        public var isInteger: Bool { self != .float32 && self != .float64 }
    }

    /// The element type.
    public let elementType: ElementType
    /// The shape, outermost axis first; `[]` for a scalar.
    public let shape: [Int]
    /// The values, little-endian, C order: `count × elementType.byteWidth` bytes.
    public let payload: Data

    /// The number of elements (the product of `shape`).
    public var count: Int { payload.count / elementType.byteWidth }

    /// Reads and parses a `.npy` file.
    ///
    /// - Throws: `ModelIOError.unreadable` when the file cannot be read, `.malformed` naming the
    ///   field or byte offset when it is not a valid `.npy` file this reader supports.
    public static func read(from url: URL) throws -> NumPyArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelIOError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses the bytes of a `.npy` file; `path` names it in errors.
    ///
    /// - Throws: `ModelIOError.malformed` naming the field or byte offset at fault.
    public static func parse(_ data: Data, path: String) throws -> NumPyArray {
        try parse(data, path: path, rowLimit: nil)
    }

    /// Parses the header and the first `rowLimit` rows (along axis 0) of `.npy` bytes; `data`
    /// may end after those rows. `nil` reads every row, and then the data must hold all of them.
    static func parse(_ data: Data, path: String, rowLimit: Int?) throws -> NumPyArray {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: detail) }
        let (array, payloadStart, needed) = try header(data, path: path)
        if let rowLimit, let rows = array.shape.first, rowLimit < rows {
            let rowBytes = rows == 0 ? 0 : needed / rows
            let kept = rowBytes * max(rowLimit, 0)
            guard data.count - payloadStart >= kept else {
                throw malformed("truncated: the first \(rowLimit) rows need \(kept) bytes after byte \(payloadStart)")
            }
            return NumPyArray(
                elementType: array.elementType, shape: [max(rowLimit, 0)] + array.shape.dropFirst(),
                payload: data.subdata(in: data.startIndex + payloadStart..<data.startIndex + payloadStart + kept))
        }
        let present = data.count - payloadStart
        guard needed == present else {
            throw malformed(
                "shape \(NumPyHeader.format(array.shape)) of \(array.elementType) needs \(needed) bytes after the header at byte \(payloadStart), the file has \(present)"
            )
        }
        return NumPyArray(
            elementType: array.elementType, shape: array.shape,
            payload: data.subdata(in: data.startIndex + payloadStart..<data.endIndex))
    }

    /// How many leading bytes of a `.npy` file hold its header and first `rows` rows, read from
    /// `prefix` (the file's first bytes); `nil` when `prefix` does not hold the whole header.
    static func byteCount(ofFirst rows: Int, prefix: Data, path: String) -> Int? {
        // A damaged header is reported by the full read; a long one needs more bytes.
        guard let parsed = try? header(prefix, path: path) else { return nil }
        guard let total = parsed.array.shape.first, total > 0 else { return parsed.payloadStart + parsed.needed }
        return parsed.payloadStart + parsed.needed / total * min(max(rows, 0), total)
    }

    /// The validated header of `.npy` bytes: element type and shape, where the values start, and
    /// how many bytes of values the shape needs.
    static func header(
        _ data: Data, path: String
    ) throws -> (
        array: (elementType: ElementType, shape: [Int]), payloadStart: Int, needed: Int
    ) {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: detail) }
        let bytes = [UInt8](data.prefix(12))
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10 else {
            throw malformed("truncated: \(data.count) bytes, a .npy header needs at least 10 (magic, version, length)")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw malformed("not a NumPy .npy file: bad magic at byte 0 (expected \\x93NUMPY)")
        }
        let major = Int(bytes[6])
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw malformed("truncated: the version \(major) header length at byte 8") }
            headerStart = 12
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw malformed("unsupported .npy version \(major).\(bytes[7]) at byte 6 (1.0, 2.0 and 3.0 are read)")
        }
        let payloadStart = headerStart + headerLength
        guard payloadStart <= data.count else {
            throw malformed(
                "truncated: the header length at byte 8 says \(headerLength) bytes, the file ends at byte \(data.count)"
            )
        }
        let headerBytes = data.subdata(in: data.startIndex + headerStart..<data.startIndex + payloadStart)
        guard let header = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw malformed("the header at byte \(headerStart) is not text")
        }
        let fields = try NumPyHeader.parse(header, path: path, offset: headerStart)
        let array = try fields.validated(path: path)
        let byteWidth = array.elementType.byteWidth
        // Zero extents do not excuse the others: (0, 10^13, 10^13) would overflow in any code
        // that multiplies a sample's axes, so the product of the non-zero extents must fit too.
        var needed = byteWidth
        var addressable = byteWidth
        for extent in array.shape {
            let (product, overflow) = addressable.multipliedReportingOverflow(by: max(extent, 1))
            guard !overflow else {
                throw malformed("shape \(NumPyHeader.format(array.shape)) holds more values than can be addressed")
            }
            addressable = product
            needed *= extent  // never above `addressable`
        }
        return (array, payloadStart, needed)
    }

    /// Creates an array from its parts; `payload` must hold `count × byteWidth` little-endian bytes.
    public init(elementType: ElementType, shape: [Int], payload: Data) {
        self.elementType = elementType
        self.shape = shape
        self.payload = payload
    }
}

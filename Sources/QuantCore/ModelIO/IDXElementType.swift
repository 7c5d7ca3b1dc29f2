/// The element type of an IDX file: the third byte of its magic number.
///
/// | code | type    | bytes | range held exactly as `Float`         |
/// |------|---------|-------|---------------------------------------|
/// | 0x08 | uint8   | 1     | all (0…255)                           |
/// | 0x09 | int8    | 1     | all (-128…127)                        |
/// | 0x0B | int16   | 2     | all                                   |
/// | 0x0C | int32   | 4     | \|x\| ≤ 2^24; larger values round     |
/// | 0x0D | float32 | 4     | all                                   |
/// | 0x0E | float64 | 8     | values with a 24-bit mantissa; others round |
///
/// All multi-byte elements are stored big-endian.
public enum IDXElementType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Unsigned byte, 0…255 (MNIST's images and labels).
    case uint8 = 0x08
    /// Signed byte, -128…127.
    case int8 = 0x09
    /// Big-endian signed 16-bit integer.
    case int16 = 0x0B
    /// Big-endian signed 32-bit integer.
    case int32 = 0x0C
    /// Big-endian IEEE 754 single precision.
    case float32 = 0x0D
    /// Big-endian IEEE 754 double precision.
    case float64 = 0x0E

    /// Bytes per element in the file.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    /// Whether the type holds integers (and so can hold class labels).
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .int16, .int32: true
        case .float32, .float64: false
        }
    }

    /// The smallest and largest value an integer type holds; `nil` for floating-point types.
    var integerRange: ClosedRange<Int>? {
        switch self {
        case .uint8: 0...255
        case .int8: -128...127
        case .int16: Int(Int16.min)...Int(Int16.max)
        case .int32: Int(Int32.min)...Int(Int32.max)
        case .float32, .float64: nil
        }
    }

    /// The type's name, e.g. `uint8`.
    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    /// The type with its code, e.g. `0x08 uint8`, as used in error messages.
    var codeAndName: String { "\(IDXFile.hex(rawValue)) \(description)" }
}

/// One operation in a graph: an operator applied to named inputs, producing named outputs.
public struct Node: Sendable, Equatable {
    /// The ONNX node name; may be empty in files, in which case layer names fall back to the weight.
    public var name: String
    /// What the node computes.
    public var op: Operator
    /// Names of the values it reads, in ONNX order; an empty string is an omitted optional input.
    public var inputs: [String]
    /// Names of the values it produces.
    public var outputs: [String]

    /// Creates a node.
    public init(name: String, op: Operator, inputs: [String], outputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// The element types a graph value or initializer can have in a file.
///
/// The engine computes in `Float`; integer values (e.g. Reshape's shape, token ids) are held as
/// exact `Float` values (exact up to 2^24), booleans as 0 and 1, and written back with their
/// original type.
public enum ElementType: Int, Sendable, Equatable {
    /// IEEE 754 single precision (ONNX `FLOAT`).
    case float32 = 1
    /// Unsigned byte (ONNX `UINT8`).
    case uint8 = 2
    /// Signed byte (ONNX `INT8`).
    case int8 = 3
    /// ONNX `UINT16` (16-bit quantized codes, opset 21).
    case uint16 = 4
    /// ONNX `INT16` (16-bit quantized codes, opset 21).
    case int16 = 5
    /// ONNX `INT32`.
    case int32 = 6
    /// ONNX `INT64`.
    case int64 = 7
    /// ONNX `BOOL`: held as 0 (false) and 1 (true).
    case bool = 9
    /// ONNX `DOUBLE`.
    case float64 = 11
    /// ONNX `UINT4`: 4-bit codes packed two per byte, low nibble first (opset 21).
    case uint4 = 21
    /// ONNX `INT4`: 4-bit two's-complement codes packed two per byte, low nibble first (opset 21).
    case int4 = 22

    /// Whether two values share one byte (`int4`, `uint4`).
    var isPacked4Bit: Bool { self == .int4 || self == .uint4 }
}

/// A graph input or output: a name, an element type and a shape whose axes may be symbolic.
public struct ValueInfo: Sendable, Equatable {
    /// The value's name.
    public var name: String
    /// The element type.
    public var elementType: ElementType
    /// Extents; `nil` marks a dynamic axis (typically the batch).
    public var shape: [Int?]
    /// Names of symbolic axes (e.g. `"batch"`), parallel to `shape`; `nil` where none.
    public var dimensionNames: [String?]

    /// Creates a value description.
    public init(name: String, elementType: ElementType = .float32, shape: [Int?], dimensionNames: [String?]? = nil) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.dimensionNames = dimensionNames ?? shape.map { $0 == nil ? "batch" : nil }
    }
}

/// A model: inputs, outputs, constant tensors (weights) and nodes in topological order.
public struct Graph: Sendable, Equatable {
    /// The graph's name.
    public var name: String
    /// Values fed from outside (initializers excluded).
    public var inputs: [ValueInfo]
    /// Values the graph produces.
    public var outputs: [ValueInfo]
    /// Weights and other constants, by name.
    public var initializers: [String: Tensor]
    /// The file element type of initializers, and of Constant node outputs, that are not float32
    /// (absent means float32); used to write them back with their original type.
    public var initializerTypes: [String: ElementType]
    /// Nodes, topologically sorted: every input is produced before it is read.
    public var nodes: [Node]
    /// Free-form `metadata_props` carried through a round trip.
    public var metadata: [String: String]

    /// Creates a graph; call `validated()` to check ordering and references.
    public init(
        name: String, inputs: [ValueInfo], outputs: [ValueInfo], initializers: [String: Tensor],
        initializerTypes: [String: ElementType] = [:], nodes: [Node], metadata: [String: String] = [:]
    ) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.initializers = initializers
        self.initializerTypes = initializerTypes
        self.nodes = nodes
        self.metadata = metadata
    }
}

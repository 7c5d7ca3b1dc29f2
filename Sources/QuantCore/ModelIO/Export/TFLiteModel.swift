import Foundation

/// A TensorFlow Lite model in memory: one subgraph, its tensors, operators and constant buffers;
/// `serialized()` gives the `.tflite` bytes.
public struct TFLiteModel: Sendable, Equatable {
    /// Per-tensor or per-axis affine quantization: `real = scale · (q − zeroPoint)`.
    public struct Quantization: Sendable, Equatable {
        /// One scale per tensor, or per slice along `quantizedDimension`.
        public var scale: [Float]
        /// The code of real 0, parallel to `scale`.
        public var zeroPoint: [Int64]
        /// The axis of per-axis parameters.
        public var quantizedDimension: Int32 = 0
    }

    /// A tensor: shape (batch 1 where the model's batch is dynamic, which `shapeSignature` marks
    /// with −1), element type and constant data (buffer 0 = none).
    public struct Tensor: Sendable, Equatable {
        /// The tensor's name (the ONNX value's, or derived from it).
        public var name: String
        /// Extents (batch 1).
        public var shape: [Int32]
        /// Extents with −1 for the dynamic batch; nil for constants.
        public var shapeSignature: [Int32]?
        /// Element type.
        public var type: TFLiteSchema.TensorType
        /// Index into `buffers` (0: no data).
        public var buffer: UInt32
        /// Quantization parameters of integer tensors.
        public var quantization: Quantization?
    }

    /// An operator's options table.
    public enum Options: Sendable, Equatable {
        /// No options table.
        case none
        /// `Conv2DOptions`.
        case conv2D(padding: TFLiteSchema.Padding, strideW: Int32, strideH: Int32, activation: TFLiteSchema.Activation)
        /// `DepthwiseConv2DOptions`.
        case depthwiseConv2D(
            padding: TFLiteSchema.Padding, strideW: Int32, strideH: Int32, depthMultiplier: Int32,
            activation: TFLiteSchema.Activation)
        /// `AddOptions`.
        case add(activation: TFLiteSchema.Activation)
        /// `Pool2DOptions`.
        case pool2D(
            padding: TFLiteSchema.Padding, strideW: Int32, strideH: Int32, filterWidth: Int32, filterHeight: Int32,
            activation: TFLiteSchema.Activation)
        /// `FullyConnectedOptions`.
        case fullyConnected(activation: TFLiteSchema.Activation)
        /// `ReshapeOptions`.
        case reshape(newShape: [Int32])
        /// `SoftmaxOptions`.
        case softmax(beta: Float)
        /// `ConcatenationOptions`.
        case concatenation(axis: Int32, activation: TFLiteSchema.Activation)
    }

    /// An operator: kind, version, tensor indices in and out (−1: an omitted optional input).
    public struct Operator: Sendable, Equatable {
        /// The builtin operator.
        public var kind: TFLiteOperatorKind
        /// The operator version (`OperatorCode.version`).
        public var version: Int32 = 1
        /// Tensor indices read.
        public var inputs: [Int32]
        /// Tensor indices written.
        public var outputs: [Int32]
        /// The options table.
        public var options: Options = .none
    }

    /// Constant data; buffer 0 is TFLite's empty sentinel.
    public var buffers: [[UInt8]] = [[]]
    /// The subgraph's tensors.
    public var tensors: [Tensor] = []
    /// The subgraph's operators, in execution order.
    public var operators: [Operator] = []
    /// Tensor indices fed from outside.
    public var inputs: [Int32] = []
    /// Tensor indices produced for the caller.
    public var outputs: [Int32] = []
    /// `Model.description`.
    public var description = ""
    /// `Model.metadata`: name → bytes (stored as extra buffers).
    public var metadata: [(name: String, value: String)] = []

    /// An empty model (buffer 0 only).
    public init() {}

    /// Models are equal when their files are.
    public static func == (lhs: TFLiteModel, rhs: TFLiteModel) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// Adds a tensor (with constant `data`, if any) and returns its index.
    mutating func addTensor(
        _ name: String, shape: [Int], type: TFLiteSchema.TensorType, data: [UInt8]? = nil,
        quantization: Quantization? = nil, dynamicBatch: Bool = false
    ) -> Int32 {
        var buffer: UInt32 = 0
        if let data {
            buffer = UInt32(buffers.count)
            buffers.append(data)
        }
        let dims = shape.map { Int32($0) }
        var signature: [Int32]? = nil
        if dynamicBatch, !dims.isEmpty { signature = [-1] + dims.dropFirst() }
        tensors.append(
            Tensor(
                name: name, shape: dims, shapeSignature: signature, type: type, buffer: buffer,
                quantization: quantization))
        return Int32(tensors.count - 1)
    }
}

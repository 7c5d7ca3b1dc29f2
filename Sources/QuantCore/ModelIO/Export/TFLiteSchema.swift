/// The part of TensorFlow Lite's FlatBuffers schema (`tensorflow/lite/schema/schema.fbs`, file
/// identifier `TFL3`, schema version 3) that the `tflite` export writes: field ids in declaration
/// order (a union takes two ids: its type, then its value), enum values and union indices as
/// the schema numbers them.
public enum TFLiteSchema {
    /// The file identifier at bytes 4..<8.
    public static let fileIdentifier = "TFL3"
    /// `Model.version`.
    public static let version: UInt32 = 3

    /// `table Model`.
    public enum Model {
        static let fieldCount = 8
        static let version = 0
        static let operatorCodes = 1
        static let subgraphs = 2
        static let description = 3
        static let buffers = 4
        static let metadataBuffer = 5
        static let metadata = 6
        static let signatureDefs = 7
    }

    /// `table OperatorCode`.
    public enum OperatorCode {
        static let fieldCount = 4
        static let deprecatedBuiltinCode = 0
        static let customCode = 1
        static let version = 2
        static let builtinCode = 3
    }

    /// `table SubGraph`.
    public enum SubGraph {
        static let fieldCount = 5
        static let tensors = 0
        static let inputs = 1
        static let outputs = 2
        static let operators = 3
        static let name = 4
    }

    /// `table Tensor`.
    public enum Tensor {
        static let fieldCount = 8
        static let shape = 0
        static let type = 1
        static let buffer = 2
        static let name = 3
        static let quantization = 4
        static let isVariable = 5
        static let sparsity = 6
        static let shapeSignature = 7
    }

    /// `table QuantizationParameters`.
    public enum QuantizationParameters {
        static let fieldCount = 7
        static let min = 0
        static let max = 1
        static let scale = 2
        static let zeroPoint = 3
        static let detailsType = 4
        static let details = 5
        static let quantizedDimension = 6
    }

    /// `table Operator`.
    public enum Operator {
        static let fieldCount = 9
        static let opcodeIndex = 0
        static let inputs = 1
        static let outputs = 2
        static let builtinOptionsType = 3
        static let builtinOptions = 4
        static let customOptions = 5
    }

    /// `table Buffer` (`data` is `force_align: 16`).
    public enum Buffer {
        static let fieldCount = 3
        static let data = 0
        static let dataAlignment = 16
    }

    /// `table Metadata`.
    public enum Metadata {
        static let fieldCount = 2
        static let name = 0
        static let buffer = 1
    }

    /// `enum TensorType : byte`.
    public enum TensorType: Int8, Sendable {
        case float32 = 0
        case int32 = 2
        case uint8 = 3
        case int64 = 4
        case int16 = 7
        case int8 = 9
    }

    /// `enum Padding : byte`.
    public enum Padding: Int8, Sendable {
        case same = 0
        case valid = 1
    }

    /// `enum ActivationFunctionType : byte`.
    public enum Activation: Int8, Sendable {
        case none = 0
        case relu = 1
        case relu6 = 3
    }

    /// Option tables' field ids (`Conv2DOptions`, `Pool2DOptions`, …).
    public enum Options {
        /// `Conv2DOptions` and `Pool2DOptions` share their first three fields.
        static let padding = 0
        static let strideW = 1
        static let strideH = 2
        /// `Conv2DOptions`.
        static let convFieldCount = 6
        static let convActivation = 3
        static let convDilationW = 4
        static let convDilationH = 5
        /// `Pool2DOptions`.
        static let poolFieldCount = 6
        static let poolFilterWidth = 3
        static let poolFilterHeight = 4
        static let poolActivation = 5
        /// `FullyConnectedOptions`.
        static let fullyConnectedFieldCount = 4
        static let fullyConnectedActivation = 0
        static let fullyConnectedKeepNumDims = 2
        /// `DepthwiseConv2DOptions` (padding and strides as `Conv2DOptions`).
        static let depthwiseFieldCount = 7
        static let depthwiseMultiplier = 3
        static let depthwiseActivation = 4
        static let depthwiseDilationW = 5
        static let depthwiseDilationH = 6
        /// `AddOptions`.
        static let addFieldCount = 2
        static let addActivation = 0
        /// `ReshapeOptions`.
        static let reshapeFieldCount = 1
        static let reshapeNewShape = 0
        /// `SoftmaxOptions`.
        static let softmaxFieldCount = 1
        static let softmaxBeta = 0
        // ConcatenationOptions: axis, fused_activation_function
        static let concatenationFieldCount = 2
        static let concatenationAxis = 0
        static let concatenationActivation = 1
    }
}

/// The TensorFlow Lite operators the `tflite` export writes: the one table of their builtin
/// codes (`enum BuiltinOperator`), option tables (`union BuiltinOptions` index, 0 = none),
/// names, and the operator version the full-integer int8 export writes.
public enum TFLiteOperatorKind: String, Sendable, CaseIterable {
    // Raw values are the schema's names (`BuiltinOperator`).
    case conv2D = "CONV_2D"
    case depthwiseConv2D = "DEPTHWISE_CONV_2D"
    case add = "ADD"
    case fullyConnected = "FULLY_CONNECTED"
    case maxPool2D = "MAX_POOL_2D"
    case averagePool2D = "AVERAGE_POOL_2D"
    case reshape = "RESHAPE"
    case transpose = "TRANSPOSE"
    case pad = "PAD"
    case relu = "RELU"
    case relu6 = "RELU6"
    case softmax = "SOFTMAX"
    case quantize = "QUANTIZE"
    case dequantize = "DEQUANTIZE"
    case maximum = "MAXIMUM"
    case minimum = "MINIMUM"
    case concatenation = "CONCATENATION"

    /// `BuiltinOperator` and the `BuiltinOptions` union index of the options it takes.
    var schema: (builtinCode: Int32, optionsType: UInt8) {
        switch self {
        case .conv2D: (3, 1)  // Conv2DOptions
        case .depthwiseConv2D: (4, 2)  // DepthwiseConv2DOptions
        case .add: (0, 11)  // AddOptions
        case .fullyConnected: (9, 8)  // FullyConnectedOptions
        case .maxPool2D: (17, 5)  // Pool2DOptions
        case .averagePool2D: (1, 5)  // Pool2DOptions
        case .reshape: (22, 17)  // ReshapeOptions
        case .transpose: (39, 0)
        case .pad: (34, 0)
        case .relu: (19, 0)
        case .relu6: (21, 0)
        case .softmax: (25, 9)  // SoftmaxOptions
        case .quantize: (114, 0)
        case .dequantize: (6, 0)
        case .maximum: (55, 0)
        case .minimum: (57, 0)
        case .concatenation: (2, 10)  // ConcatenationOptions
        }
    }

    /// The `OperatorCode.version` written when the operator reads and writes int8 tensors (the
    /// version TFLite's converter assigns: the one that introduced int8 for that kernel).
    var int8Version: Int32 {
        switch self {
        case .conv2D, .depthwiseConv2D: 3
        case .fullyConnected: 4
        case .maxPool2D, .averagePool2D, .add, .transpose, .pad, .relu, .relu6, .softmax, .quantize, .dequantize,
            .maximum, .minimum, .concatenation:
            2
        case .reshape: 1
        }
    }
}

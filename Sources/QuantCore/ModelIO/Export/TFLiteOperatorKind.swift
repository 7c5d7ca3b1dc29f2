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
    case mul = "MUL"
    case sub = "SUB"
    case div = "DIV"
    case padV2 = "PADV2"
    case logistic = "LOGISTIC"
    case tanh = "TANH"
    case leakyRelu = "LEAKY_RELU"
    case hardSwish = "HARD_SWISH"
    case reluN1To1 = "RELU_N1_TO_1"
    case localResponseNormalization = "LOCAL_RESPONSE_NORMALIZATION"
    case split = "SPLIT"

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
        case .mul: (18, 21)  // MulOptions
        case .sub: (41, 28)  // SubOptions
        case .div: (42, 29)  // DivOptions
        case .padV2: (60, 0)
        case .logistic: (14, 0)
        case .tanh: (28, 0)
        case .leakyRelu: (98, 75)  // LeakyReluOptions
        case .hardSwish: (117, 0)
        case .reluN1To1: (20, 0)
        case .localResponseNormalization: (13, 13)  // LocalResponseNormalizationOptions
        case .split: (49, 35)  // SplitOptions
        }
    }

    /// The `OperatorCode.version` written when the operator reads and writes int8 tensors (the
    /// version TFLite's converter assigns: the one that introduced int8 for that kernel).
    var int8Version: Int32 {
        switch self {
        case .conv2D, .depthwiseConv2D: 3
        case .fullyConnected: 4
        case .maxPool2D, .averagePool2D, .add, .transpose, .pad, .relu, .relu6, .softmax, .quantize, .dequantize,
            .maximum, .minimum, .concatenation, .mul, .sub, .padV2, .logistic, .tanh, .leakyRelu, .hardSwish,
            .reluN1To1, .split:
            2
        case .reshape, .div, .localResponseNormalization: 1
        }
    }
}

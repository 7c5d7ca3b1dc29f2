/// The operators the engine executes, each with its typed ONNX attributes.
///
/// Semantics follow the ONNX operator specification (opset 13 unless noted). Operands that
/// ONNX passes as inputs (Reshape's shape, Clip's min/max) stay inputs of the `Node`.
public enum Operator: Sendable, Equatable {
    /// `Y = alpha · op(A) · op(B) + beta · C`; A `[M, K]`, B `[K, N]` (or transposed), C broadcast.
    case gemm(GemmAttributes)
    /// NumPy-style matrix product (batched, broadcasting leading axes).
    case matMul
    /// Element-wise sum with multidirectional (NumPy) broadcasting.
    case add
    /// Element-wise difference with broadcasting.
    case sub
    /// Element-wise product with broadcasting.
    case mul
    /// Element-wise quotient with broadcasting.
    case div
    /// N-D convolution (the engine supports 1-D and 2-D): X `[N, C, H, W]`, W `[M, C/group, kH, kW]`.
    case conv(ConvAttributes)
    /// Max pooling over spatial windows.
    case maxPool(PoolAttributes)
    /// Average pooling over spatial windows.
    case averagePool(PoolAttributes)
    /// Mean over all spatial positions: `[N, C, H, W]` → `[N, C, 1, 1]`.
    case globalAveragePool
    /// Max over all spatial positions: `[N, C, H, W]` → `[N, C, 1, 1]`.
    case globalMaxPool
    /// Inference-mode batch normalization: `Y = scale · (X − mean) / sqrt(var + epsilon) + B`.
    case batchNormalization(epsilon: Float)
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, min), max)`; bounds come from attributes (opset < 11) or inputs 1 and 2.
    case clip(min: Float?, max: Float?)
    /// `x ≥ 0 ? x : alpha · x`.
    case leakyRelu(alpha: Float)
    /// `1 / (1 + e^−x)`.
    case sigmoid
    /// Hyperbolic tangent.
    case tanh
    /// Softmax along `axis` (opset ≥ 13 semantics: one axis).
    case softmax(axis: Int)
    /// Log of softmax along `axis`.
    case logSoftmax(axis: Int)
    /// Softmax as defined before opset 13: the input is viewed as 2-D
    /// `[d0·…·d(axis−1), d(axis)·…·d(r−1)]`, each row is normalized, and the shape is kept.
    ///
    /// For `[2, 3, 4]` at axis 1 every one of the 2 rows of 12 values sums to 1. Equal to
    /// `softmax(axis:)` when `axis` is the last axis (the ONNX reader then uses that instead).
    case flattenedSoftmax(axis: Int)
    /// Log of `flattenedSoftmax(axis:)` (LogSoftmax before opset 13).
    case flattenedLogSoftmax(axis: Int)
    /// `x ≥ 0 ? x : slope · x`; slope (input 1) broadcasts to x unidirectionally (NumPy rules).
    case prelu
    /// `log(1 + e^x)`, evaluated without overflow.
    case softplus
    /// `x > 0 ? x : alpha · (e^x − 1)` (ONNX default alpha 1).
    case elu(alpha: Float)
    /// `gamma · (x > 0 ? x : alpha · (e^x − 1))`; ONNX's defaults (alpha ≈ 1.6733, gamma ≈ 1.0507)
    /// are `Operator.seluAlpha` and `Operator.seluGamma`.
    case selu(alpha: Float, gamma: Float)
    /// Collapses axes `[0, axis)` and `[axis, rank)` into a 2-D tensor.
    case flatten(axis: Int)
    /// Reshapes to the shape given by input 1 (0 copies a dimension unless `allowZero`, −1 infers).
    case reshape(allowZero: Bool)
    /// Joins inputs along `axis`.
    case concat(axis: Int)
    /// Reorders axes: output axis `i` is input axis `permutation[i]`; empty reverses all axes.
    case transpose(permutation: [Int])
    /// Removes axes of extent 1: those listed in input 1 (int64, optional), else all of them.
    case squeeze
    /// Inserts axes of extent 1 at the output positions listed in input 1 (int64).
    case unsqueeze
    /// The input's shape as a 1-D int64 tensor, restricted to axes `start..<end` (opset 15;
    /// negative positions count from the end, `nil` means the rank).
    case shape(start: Int, end: Int?)
    /// Picks slices along `axis` at the int64 indices of input 1 (negative counts from the end):
    /// data `[a, n, b]` with indices `[i, j]` at axis 1 gives `[a, i, j, b]`.
    case gather(axis: Int)
    /// Pads (or crops, for negative amounts) every axis: input 1 holds int64 pads
    /// `[x1_begin, x2_begin, …, x1_end, x2_end, …]`, input 2 the optional constant (default 0),
    /// input 3 the optional axes the pads apply to (opset 18; default all axes).
    case pad(mode: PadMode)
    /// Mean over `axes` (empty: every axis; negative counts from the end); reduced axes stay
    /// as extent 1 when `keepDims`, else they are removed.
    case reduceMean(axes: [Int], keepDims: Bool)
    /// Passes its input through.
    case identity
    /// Inference-mode dropout: identity.
    case dropout
    /// A constant tensor produced by the node itself.
    case constant(Tensor)
    /// ONNX `QuantizeLinear`: `q = saturate(roundHalfToEven(x / scale) + zeroPoint)`, saturating
    /// to the range of `elementType` (the zero point's type; uint8 when it is omitted). Scale
    /// (input 1) and zero point (input 2) are scalars or 1-D along `axis` (per-axis). Codes are
    /// held as exact integers in `Float`.
    case quantizeLinear(axis: Int, elementType: ElementType)
    /// ONNX `DequantizeLinear`: `x = (q − zeroPoint) · scale`, scalar or per-axis along `axis`.
    case dequantizeLinear(axis: Int)
    /// An element-wise function of one operand; the table is `UnaryFunction`.
    case unary(UnaryFunction)
    /// An element-wise function of two broadcast operands; the table is `BinaryElementwise`.
    case binary(BinaryElementwise)
    /// Sum, Min, Max or Mean of one or more broadcast operands; the table is `VariadicElementwise`.
    case variadic(VariadicElementwise)
    /// A reduction over `axes` (empty: every axis); the table is `Reduction`. Reduced axes stay
    /// as extent 1 when `keepDims`. Constant axes are folded in at load; axes the graph computes
    /// stay input 1 and are read at run time.
    case reduce(Reduction, axes: [Int], keepDims: Bool)
    /// Local response normalization across channels (AlexNet, Inception v1):
    /// `y = x / (bias + alpha / size · Σ x²)^beta` over `size` neighbouring channels.
    case localResponseNormalization(size: Int, alpha: Float, beta: Float, bias: Float)
    /// `(x − mean) / sqrt(var + epsilon) · scale + B` over the axes from `axis` on (opset 17);
    /// optional outputs 1 and 2 are the mean and the inverse standard deviation.
    case layerNormalization(axis: Int, epsilon: Float)
    /// A tensor of the shape in input 1 (int64) filled with `value` (of element type `type`).
    case constantOfShape(value: Float, type: ElementType)
    /// Converts to `to`: truncation toward zero for integer types, 0/1 for bool.
    case cast(to: ElementType)
    /// Broadcasts input 0 to the shape in input 1 (multidirectionally).
    case expand
    /// `condition ? x : y` with broadcasting (inputs condition, x, y).
    case `where`
    /// `[start, start + delta, …)` up to `limit` (scalar inputs start, limit, delta).
    case range
    /// Slices with inputs starts, ends, optional axes and steps (opset 10 form).
    case slice
    /// Picks along `axis` at the positions of an indices tensor of the data's rank.
    case gatherElements(axis: Int)
    /// Repeats the input `repeats[i]` times along axis i (input 1, int64).
    case tile
    /// Splits along `axis` into the node's outputs: sizes from input 1 when given, else equal parts.
    case split(axis: Int)
    /// The element count as an int64 scalar.
    case size
    /// Index of the largest (`isMax`) or smallest value along `axis`.
    case argExtreme(isMax: Bool, axis: Int, keepDims: Bool, selectLastIndex: Bool)
    /// `max(0, min(1, alpha · x + beta))`.
    case hardSigmoid(alpha: Float, beta: Float)
    /// `x · hardSigmoid(x)` with alpha 1/6, beta 1/2.
    case hardSwish
    /// `0.5 · x · (1 + erf(x / √2))`, or the tanh approximation (opset 20 `approximate`).
    case gelu(tanhApproximation: Bool)
    /// Running sum along the axis in input 1.
    case cumulativeSum(exclusive: Bool, reverse: Bool)
    /// Transposed convolution (1-D and 2-D): X `[N, C, …]`, W `[C, M/group, k…]`, optional B `[M]`.
    case convTranspose(ConvTransposeAttributes)
    /// Resize (and the older Upsample) by nearest or linear interpolation; inputs X, roi
    /// (ignored: no `tf_crop_and_resize`), scales, sizes.
    case resize(ResizeAttributes)
    /// Each `[n, c]` plane normalized to mean 0, variance 1, then `· scale[c] + B[c]`.
    case instanceNormalization(epsilon: Float)
    /// Channels split into `groups`; each `[n, group]` normalized over its channels and positions,
    /// then `· scale + bias`, per channel (`perChannelAffine`, opset 21) or per group (opset 18).
    case groupNormalization(groups: Int, epsilon: Float, perChannelAffine: Bool)
    /// The `k` (input 1) largest (or smallest) values along `axis` and their int64 indices;
    /// equal values keep the lower index first.
    case topK(axis: Int, largest: Bool, sorted: Bool)
    /// Einstein summation over one or two operands; `EinsumEquation` lists the forms supported.
    case einsum(EinsumEquation)

    /// The ONNX `op_type` string.
    public var onnxName: String {
        switch self {
        case .gemm: "Gemm"
        case .matMul: "MatMul"
        case .add: "Add"
        case .sub: "Sub"
        case .mul: "Mul"
        case .div: "Div"
        case .conv: "Conv"
        case .maxPool: "MaxPool"
        case .averagePool: "AveragePool"
        case .globalAveragePool: "GlobalAveragePool"
        case .globalMaxPool: "GlobalMaxPool"
        case .batchNormalization: "BatchNormalization"
        case .relu: "Relu"
        case .clip: "Clip"
        case .leakyRelu: "LeakyRelu"
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .softmax, .flattenedSoftmax: "Softmax"
        case .logSoftmax, .flattenedLogSoftmax: "LogSoftmax"
        case .prelu: "PRelu"
        case .softplus: "Softplus"
        case .elu: "Elu"
        case .selu: "Selu"
        case .flatten: "Flatten"
        case .reshape: "Reshape"
        case .concat: "Concat"
        case .transpose: "Transpose"
        case .squeeze: "Squeeze"
        case .unsqueeze: "Unsqueeze"
        case .shape: "Shape"
        case .gather: "Gather"
        case .pad: "Pad"
        case .reduceMean: "ReduceMean"
        case .identity: "Identity"
        case .dropout: "Dropout"
        case .constant: "Constant"
        case .quantizeLinear: "QuantizeLinear"
        case .dequantizeLinear: "DequantizeLinear"
        case .unary(let function): function.rawValue
        case .binary(let function): function.onnxName
        case .variadic(let function): function.rawValue
        case .reduce(let reduction, _, _): reduction.rawValue
        case .localResponseNormalization: "LRN"
        case .layerNormalization: "LayerNormalization"
        case .constantOfShape: "ConstantOfShape"
        case .cast: "Cast"
        case .expand: "Expand"
        case .where: "Where"
        case .range: "Range"
        case .slice: "Slice"
        case .gatherElements: "GatherElements"
        case .tile: "Tile"
        case .split: "Split"
        case .size: "Size"
        case .argExtreme(let isMax, _, _, _): isMax ? "ArgMax" : "ArgMin"
        case .hardSigmoid: "HardSigmoid"
        case .hardSwish: "HardSwish"
        case .gelu: "Gelu"
        case .cumulativeSum: "CumSum"
        case .convTranspose: "ConvTranspose"
        case .resize: "Resize"
        case .instanceNormalization: "InstanceNormalization"
        case .groupNormalization: "GroupNormalization"
        case .topK: "TopK"
        case .einsum: "Einsum"
        }
    }

    /// ONNX's default Selu `alpha`, 1.67326319217681884765625 (self-normalizing networks).
    public static let seluAlpha: Float = 1.67326319217681884765625
    /// ONNX's default Selu `gamma`, 1.05070102214813232421875.
    public static let seluGamma: Float = 1.05070102214813232421875

    /// Whether the operator has a weight tensor that quantization applies to.
    public var hasQuantizableWeight: Bool {
        switch self {
        case .gemm, .matMul, .conv, .convTranspose: true
        default: false
        }
    }
}

/// Attributes of ONNX `Gemm`.
public struct GemmAttributes: Sendable, Equatable {
    /// Scalar multiplier for `op(A) · op(B)`.
    public var alpha: Float = 1
    /// Scalar multiplier for `C`.
    public var beta: Float = 1
    /// Whether A is stored transposed (`[K, M]`).
    public var transposeA = false
    /// Whether B is stored transposed (`[N, K]`; PyTorch's `Linear` exports this way).
    public var transposeB = false

    /// Creates Gemm attributes; the defaults are ONNX's.
    public init(alpha: Float = 1, beta: Float = 1, transposeA: Bool = false, transposeB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transposeA = transposeA
        self.transposeB = transposeB
    }
}

/// How ONNX `Pad` fills positions outside the input (`mode` attribute).
///
/// Padding `[1, 2, 3]` by 2 at the start:
///
/// | mode     | result              |
/// |----------|---------------------|
/// | constant | `[c, c, 1, 2, 3]`   |
/// | reflect  | `[3, 2, 1, 2, 3]`   |
/// | edge     | `[1, 1, 1, 2, 3]`   |
public enum PadMode: String, Sendable, Equatable {
    /// The constant from input 2 (default 0).
    case constant
    /// Mirror without repeating the border element (needs pads smaller than the extent).
    case reflect
    /// Repeat the border element.
    case edge
}

/// ONNX `auto_pad` values.
public enum AutoPad: String, Sendable, Equatable {
    /// Use the explicit `pads`.
    case notSet = "NOTSET"
    /// Pad so that `out = ceil(in / stride)`, extra padding at the end.
    case sameUpper = "SAME_UPPER"
    /// Pad so that `out = ceil(in / stride)`, extra padding at the beginning.
    case sameLower = "SAME_LOWER"
    /// No padding.
    case valid = "VALID"
}

/// Attributes of ONNX `Conv`. Spatial lists have one entry per spatial axis.
public struct ConvAttributes: Sendable, Equatable {
    /// Kernel extent per spatial axis; empty means "take it from the weight".
    public var kernelShape: [Int] = []
    /// Stride per spatial axis; empty means all 1.
    public var strides: [Int] = []
    /// `[x1_begin, x2_begin, …, x1_end, x2_end, …]`; empty means all 0.
    public var pads: [Int] = []
    /// Dilation per spatial axis; empty means all 1.
    public var dilations: [Int] = []
    /// Number of groups; input and output channels must both be divisible by it.
    public var group = 1
    /// Automatic padding mode.
    public var autoPad: AutoPad = .notSet

    /// Creates Conv attributes; the defaults are ONNX's.
    public init(
        kernelShape: [Int] = [], strides: [Int] = [], pads: [Int] = [], dilations: [Int] = [],
        group: Int = 1, autoPad: AutoPad = .notSet
    ) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.group = group
        self.autoPad = autoPad
    }
}

/// Attributes of ONNX `MaxPool` and `AveragePool`.
public struct PoolAttributes: Sendable, Equatable {
    /// Window extent per spatial axis (required by ONNX).
    public var kernelShape: [Int]
    /// Stride per spatial axis; empty means all 1.
    public var strides: [Int] = []
    /// `[x1_begin, …, x1_end, …]`; empty means all 0.
    public var pads: [Int] = []
    /// Dilation per spatial axis (MaxPool only); empty means all 1.
    public var dilations: [Int] = []
    /// Whether output extents round up (`ceil`) instead of down.
    public var ceilMode = false
    /// AveragePool: whether padded positions count in the divisor.
    public var countIncludePad = false
    /// Automatic padding mode.
    public var autoPad: AutoPad = .notSet

    /// Creates pool attributes; the defaults are ONNX's.
    public init(
        kernelShape: [Int], strides: [Int] = [], pads: [Int] = [], dilations: [Int] = [],
        ceilMode: Bool = false, countIncludePad: Bool = false, autoPad: AutoPad = .notSet
    ) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.autoPad = autoPad
    }
}

/// Attributes of ONNX `ConvTranspose`. Spatial lists have one entry per spatial axis.
///
/// Output extent per axis: `stride · (in − 1) + output_padding + (k − 1) · dilation + 1 − pad_begin − pad_end`,
/// or `output_shape` when given (then, with `SAME_UPPER`/`SAME_LOWER`, the padding is derived from it).
public struct ConvTransposeAttributes: Sendable, Equatable {
    /// Kernel extent per spatial axis; empty means "take it from the weight".
    public var kernelShape: [Int] = []
    /// Stride per spatial axis; empty means all 1.
    public var strides: [Int] = []
    /// `[x1_begin, x2_begin, …, x1_end, x2_end, …]`; empty means all 0.
    public var pads: [Int] = []
    /// Dilation per spatial axis; empty means all 1.
    public var dilations: [Int] = []
    /// Number of groups; input channels must be divisible by it.
    public var group = 1
    /// Automatic padding mode (`SAME_*` pads so that the output is `in · stride`).
    public var autoPad: AutoPad = .notSet
    /// Extra extent added at the end of each spatial axis; empty means all 0.
    public var outputPadding: [Int] = []
    /// Requested spatial output extents; empty means "computed".
    public var outputShape: [Int] = []

    /// Creates ConvTranspose attributes; the defaults are ONNX's.
    public init(
        kernelShape: [Int] = [], strides: [Int] = [], pads: [Int] = [], dilations: [Int] = [], group: Int = 1,
        autoPad: AutoPad = .notSet, outputPadding: [Int] = [], outputShape: [Int] = []
    ) {
        self.kernelShape = kernelShape
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.group = group
        self.autoPad = autoPad
        self.outputPadding = outputPadding
        self.outputShape = outputShape
    }
}

/// Attributes of ONNX `Resize` (opset 10–19) and `Upsample`, restricted to what the engine runs:
/// nearest and linear interpolation (cubic, antialias and `tf_crop_and_resize` are refused at load).
public struct ResizeAttributes: Sendable, Equatable {
    /// How output values are interpolated.
    public enum Mode: String, Sendable, Equatable {
        /// The input value nearest to the mapped coordinate (`NearestMode` breaks ties).
        case nearest
        /// Linear interpolation between the two neighbours along every resized axis.
        case linear
    }

    /// How an output coordinate `x` maps to an input coordinate, with `scale = out / in`
    /// (from `scales`, or `sizes / in`).
    public enum CoordinateTransformation: String, Sendable, Equatable {
        /// `(x + 0.5) / scale − 0.5`.
        case halfPixel = "half_pixel"
        /// `half_pixel` shifted so the output is centred on the input when `out ≠ scale · in`.
        case halfPixelSymmetric = "half_pixel_symmetric"
        /// `half_pixel`, except `−0.5` when the output extent is 1.
        case pytorchHalfPixel = "pytorch_half_pixel"
        /// `x / scale` (Resize-10 and Upsample).
        case asymmetric
        /// `x · (in − 1) / (out − 1)` (0 when the output extent is 1).
        case alignCorners = "align_corners"
    }

    /// How `nearest` rounds the mapped coordinate.
    public enum NearestMode: String, Sendable, Equatable {
        /// Round half down (ONNX's default).
        case roundPreferFloor = "round_prefer_floor"
        /// Round half up.
        case roundPreferCeil = "round_prefer_ceil"
        /// Round down (Resize-10 and Upsample).
        case floor
        /// Round up.
        case ceil
        /// Round down when enlarging the axis and up when shrinking it: Resize-10 and Upsample,
        /// as onnxruntime runs them. Written out as `floor` (exact whenever the axis is enlarged).
        case legacy = "simple"
    }

    /// How `sizes` is honoured when it changes the aspect ratio of the resized axes (opset 18).
    public enum AspectRatioPolicy: String, Sendable, Equatable {
        /// Use `sizes` as given.
        case stretch
        /// One scale for all resized axes, the smallest, so the output fits inside `sizes`.
        case notLarger = "not_larger"
        /// One scale for all resized axes, the largest, so the output covers `sizes`.
        case notSmaller = "not_smaller"
    }

    /// Interpolation mode.
    public var mode: Mode = .nearest
    /// Coordinate mapping.
    public var coordinateTransformation: CoordinateTransformation = .halfPixel
    /// Rounding of `nearest`.
    public var nearestMode: NearestMode = .roundPreferFloor
    /// The axes `scales`/`sizes` refer to (opset 18); empty means every axis.
    public var axes: [Int] = []
    /// How `sizes` keeps the aspect ratio.
    public var aspectRatioPolicy: AspectRatioPolicy = .stretch

    /// Creates Resize attributes; the defaults are ONNX's (opset 11 and later).
    public init(
        mode: Mode = .nearest, coordinateTransformation: CoordinateTransformation = .halfPixel,
        nearestMode: NearestMode = .roundPreferFloor, axes: [Int] = [], aspectRatioPolicy: AspectRatioPolicy = .stretch
    ) {
        self.mode = mode
        self.coordinateTransformation = coordinateTransformation
        self.nearestMode = nearestMode
        self.axes = axes
        self.aspectRatioPolicy = aspectRatioPolicy
    }
}

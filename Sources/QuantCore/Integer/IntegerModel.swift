/// One activation tensor of an integer model: its codes (held as `Int16`, so uint8 and int8
/// codes and the sums of `Add` fit alike) and the quantization they belong to.
public struct IntegerTensor: Sendable, Equatable {
    /// NCHW or `[batch, features]`.
    public var shape: [Int]
    /// One code per element, row-major.
    public var codes: [Int16]
    /// Scale, zero point and code range of the codes.
    public var quantization: ActivationQuantization

    /// Creates a tensor; `codes.count` must equal the product of `shape`.
    public init(shape: [Int], codes: [Int16], quantization: ActivationQuantization) {
        self.shape = shape
        self.codes = codes
        self.quantization = quantization
    }

    /// The values the codes stand for: `(q − zeroPoint) · scale`.
    public func dequantized() -> Tensor {
        let scale = quantization.scale, zeroPoint = quantization.zeroPoint
        return Tensor(shape: shape, storage: codes.map { Float(Int32($0) - zeroPoint) * scale })
    }
}

/// A Conv, Gemm or MatMul lowered to integers: `acc = Σ (x − z_x) · w` in int32 over int8 weight
/// codes, then per output channel either `y = clamp(roundHalfEven(Float(acc + bias) · multiplier) + z_y)`,
/// how onnxruntime's MLAS requantizes (QLinearConv, QGemm), or TFLite's fixed point
/// (`requantization`, `Requantization`).
public struct IntegerLinear: Sendable, Equatable {
    /// The layer's name in plans.
    public var layerName: String
    /// The value read and the value written.
    public var input: String, output: String
    /// Weight codes, one row of `depth` per output channel (`[out, in/group · kH · kW]` for Conv).
    public var weights: [Int8] { didSet { repack() } }
    /// Output channels.
    public var outputChannels: Int { didSet { repack() } }
    /// Weights per output channel (the GEMM's k).
    public var depth: Int { didSet { repack() } }
    /// `roundHalfEven(bias / (s_x · s_w))` per output channel (0 without a bias).
    public var bias: [Int32]
    /// `s_x · s_w / s_y` per output channel, in `Float` (evaluated left to right, as MLAS does).
    public var multipliers: [Float]
    /// The same multipliers as TFLite's int32 significand and shift per output channel, from the
    /// scales' product in `Double` (what the `fixedPoint` requantization reads).
    public var fixedPointMultipliers: [FixedPointMultiplier]
    /// Which requantization the layer runs (`float`, onnxruntime's, unless asked otherwise).
    public var requantization: Requantization
    /// The output's quantization.
    public var outputQuantization: ActivationQuantization
    /// The codes the output is clamped to: the type's range, raised to the zero point when a
    /// following ReLU is folded in (or narrowed to a Clip's bounds).
    public var clamp: ClosedRange<Int32>
    /// Convolution geometry; `nil` for Gemm and MatMul.
    public var convolution: IntegerConvolution? { didSet { repack() } }
    /// `weights` packed for the C kernels, once (rebuilt when the weights or the shape change).
    public private(set) var packed: IntegerPackedWeights

    /// Creates a layer and packs its weights; `fixedPointMultipliers` default to `multipliers`
    /// converted (`FixedPointMultiplier(Double(m))`).
    public init(
        layerName: String, input: String, output: String, weights: [Int8], outputChannels: Int, depth: Int,
        bias: [Int32], multipliers: [Float], outputQuantization: ActivationQuantization, clamp: ClosedRange<Int32>,
        convolution: IntegerConvolution?, fixedPointMultipliers: [FixedPointMultiplier]? = nil,
        requantization: Requantization = .float
    ) {
        self.layerName = layerName
        self.input = input
        self.output = output
        self.weights = weights
        self.outputChannels = outputChannels
        self.depth = depth
        self.bias = bias
        self.multipliers = multipliers
        self.fixedPointMultipliers = fixedPointMultipliers ?? multipliers.map { FixedPointMultiplier(Double($0)) }
        self.requantization = requantization
        self.outputQuantization = outputQuantization
        self.clamp = clamp
        self.convolution = convolution
        packed = IntegerPackedWeights(
            weights: weights, outputChannels: outputChannels, depth: depth, convolution: convolution)
    }

    private mutating func repack() {
        packed = IntegerPackedWeights(
            weights: weights, outputChannels: outputChannels, depth: depth, convolution: convolution)
    }
}

extension IntegerModel {
    /// Conv / Gemm / MatMul layers with a bias that left int32 when divided by `s_x · s_w`
    /// (`IntegerLowering.quantizedBias` saturates it, as onnxruntime's tool does): their integer
    /// outputs are clamped, not the model's. It happens when the activations reaching a layer are
    /// tiny (s_x → 0), e.g. random weights' activations shrinking through a deep stack.
    public var layersWithSaturatedBias: [String] {
        steps.compactMap { step in
            guard case .linear(let layer) = step else { return nil }
            let saturated = layer.bias.contains { $0 >= IntegerLowering.largestBias || $0 == .min }
            return saturated ? layer.layerName : nil
        }
    }
}

/// An Add whose output is quantized (`ActivationSites`): `y = clamp(roundHalfEven(Float(a − z_a) ·
/// (s_a / s_y) + Float(b − z_b) · (s_b / s_y)) + z_y)`, each product and the sum in `Float`, as
/// onnxruntime's QLinearAdd reference; a following ReLU / Clip narrows `clamp`.
public struct IntegerAdd: Sendable, Equatable {
    /// The values read and the value written.
    public var first: String, second: String, output: String
    /// The operands' quantizations (which fix the two ratios) and the output's.
    public var firstQuantization: ActivationQuantization, secondQuantization: ActivationQuantization
    public var outputQuantization: ActivationQuantization
    /// The codes the output is clamped to: the type's range, narrowed by a folded ReLU / Clip.
    public var clamp: ClosedRange<Int32>

    /// `s_a / s_y` and `s_b / s_y` in `Float`.
    public var ratios: (first: Float, second: Float) {
        (firstQuantization.scale / outputQuantization.scale, secondQuantization.scale / outputQuantization.scale)
    }

    /// What puts each quantization's codes in unsigned form (2^(b−1) for signed codes, else 0):
    /// onnxruntime on x86 runs its QLinearAdd on uint8 codes (it converts int8 QDQ activations to
    /// uint8, and `Scripts/check_integer.py` stores every code so), and the rounding of
    /// `IntegerKernels.requantizedAdd` depends on the form.
    public var unsignedOffsets: (first: Int32, second: Int32, output: Int32) {
        func offset(_ q: ActivationQuantization) -> Int32 { q.isSigned ? Int32(1) << (q.bitWidth - 1) : 0 }
        return (offset(firstQuantization), offset(secondQuantization), offset(outputQuantization))
    }

    /// onnxruntime's folded zero points (in unsigned form), `Float(z_y) − (r_a · Float(z_a) + r_b ·
    /// Float(z_b))`, each operation rounded to `Float` (`IntegerKernels.requantizedAdd`).
    public var fixedPart: Float {
        let (first, second) = ratios
        let (sa, sb, sy) = unsignedOffsets
        let products =
            first * Float(firstQuantization.zeroPoint + sa) + second * Float(secondQuantization.zeroPoint + sb)
        return Float(outputQuantization.zeroPoint + sy) - products
    }
}

/// A 2-D convolution's geometry (NCHW), explicit padding.
public struct IntegerConvolution: Sendable, Equatable {
    /// `[kH, kW]`, `[sH, sW]`, `[dH, dW]`.
    public var kernel: [Int], strides: [Int], dilations: [Int]
    /// `[top, left, bottom, right]`.
    public var pads: [Int]
    /// Groups (input channels = `group · depth / (kH · kW)`).
    public var group: Int
}

/// One step of an integer model, in graph order.
public enum IntegerStep: Sendable, Equatable {
    /// Conv / Gemm / MatMul with requantization.
    case linear(IntegerLinear)
    /// Max pooling on codes (exact: quantization is monotonic).
    case maxPool(input: String, output: String, PoolAttributes)
    /// Average pooling: the mean of the codes rounded half to even (within half a step of float).
    case averagePool(input: String, output: String, PoolAttributes)
    /// Elementwise sum of two tensors of one scale with zero point 0: codes add exactly, one bit wider
    /// (an Add whose output the plan leaves float).
    case add(String, String, output: String)
    /// Elementwise sum requantized to the Add's own quantization (operands of any scales and
    /// zero points), as onnxruntime's QLinearAdd and TFLite's int8 ADD compute it.
    case requantizedAdd(IntegerAdd)
    /// A ReLU or Clip that could not be folded into the step before it: codes clamped to `clamp`.
    case clamp(input: String, output: String, ClosedRange<Int32>)
    /// Flatten or Reshape: the codes unchanged, the shape from `Tensor`'s rules.
    case reshape(input: String, output: String, flattenAxis: Int?, shape: [Int]?)
    /// GlobalAveragePool: AveragePool with the whole `H × W` plane as its window.
    case globalAveragePool(input: String, output: String)
    /// Codes moved to another grid, `clamp(roundHalfEven(Float(q − z_x) · (s_x / s_y)) + z_y)`, or in
    /// the model's fixed-point requantization TFLite's QUANTIZE arithmetic (a Concat input of
    /// other parameters than the Concat's, as TFLite int8 does with QUANTIZE).
    case requantize(input: String, output: String, ActivationQuantization)
    /// Concat of tensors of one quantization along `axis`: the codes copied in order.
    case concat(inputs: [String], output: String, axis: Int)
}

/// A quantized model lowered to integer arithmetic: the float input is quantized once, every step
/// runs on codes, and the output codes are dequantized at the end.
public struct IntegerModel: Sendable, Equatable {
    /// The graph input and the quantization applied to it.
    public var inputName: String
    public var inputQuantization: ActivationQuantization
    /// The graph output read.
    public var outputName: String
    /// The steps, in graph order.
    public var steps: [IntegerStep]
    /// How every Conv / Gemm / MatMul step requantizes (set on each layer when changed), and a
    /// `requantize` step (a Concat input moved to another grid).
    public var requantization: Requantization = .float {
        didSet {
            steps = steps.map { step in
                guard case .linear(var layer) = step else { return step }
                layer.requantization = requantization
                return .linear(layer)
            }
        }
    }
    /// The kernels Conv / Gemm / MatMul run (the widest the CPU has unless a test says otherwise).
    public var variant: IntegerKernelVariant = .best
    /// Threads a batch of at least two images per thread is split over (IntegerModel+Batches),
    /// or else a Conv / Gemm / MatMul step its output positions (the shared worker pool's; 1 runs
    /// everything on the calling thread).
    public var threads: Int = 1
    /// How long one image takes on one thread, as measured on earlier batches: a batch below a
    /// thread's wake-up's worth of work runs on the calling thread alone (IntegerModel+Batches).
    /// Shared by copies of the model; not part of its value.
    let pace = IntegerPace()

    /// The output codes for the float `input` batch; `stepSeconds`, when given, is told each
    /// step's index in `steps` and the seconds it took (for `LatencyProfile`).
    ///
    /// - Throws: `IntegerLoweringError` when a shape does not fit a step (a batch of another
    ///   sample shape than the model was lowered for).
    public func outputCodes(_ input: Tensor, stepSeconds: ((Int, Double) -> Void)? = nil) throws -> IntegerTensor {
        if stepSeconds == nil, let batch = input.shape.first, threads > 1 {
            if batchIsSmall(batch) { return try outputCodesOnThisThread(input) }  // IntegerModel+Batches.swift
            if splitsBatch(batch), let codes = try? outputCodesSplittingBatch(input) { return codes }
        }
        return try outputCodes(
            quantized: IntegerKernels.quantize(input, with: inputQuantization), stepSeconds: stepSeconds)
    }

    /// The model's output codes from its input's codes, step by step on this thread's share.
    func outputCodes(
        quantized input: IntegerTensor, stepSeconds: ((Int, Double) -> Void)? = nil
    ) throws -> IntegerTensor {
        var values = [inputName: input]
        for (index, step) in steps.enumerated() {
            let started = stepSeconds == nil ? nil : ContinuousClock.now
            let (output, tensor) = try IntegerKernels.run(
                step, values: values, variant: variant, threads: threads, requantization: requantization)
            values[output] = tensor
            if let stepSeconds, let started { stepSeconds(index, (ContinuousClock.now - started).seconds) }
        }
        guard let result = values[outputName] else {
            throw IntegerLoweringError("the integer model never computes its output '\(outputName)'")
        }
        return result
    }

    /// The dequantized output for the float `input` batch.
    public func run(_ input: Tensor) throws -> Tensor {
        try outputCodes(input).dequantized()
    }

    /// The lowered Conv / Gemm / MatMul layers.
    public var linearLayers: [IntegerLinear] {
        steps.compactMap { if case .linear(let layer) = $0 { layer } else { nil } }
    }
}

/// Why a plan or graph cannot run as integers: one line.
public struct IntegerLoweringError: Error, Equatable, CustomStringConvertible {
    /// The sentence shown to the user.
    public var description: String

    /// Creates the error from its sentence.
    public init(_ description: String) { self.description = description }
}

/// Problems with quantization settings or inputs, each a one-line description for the user.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The scheme cannot store codes of this width (see `Scheme.allowedBitWidths`).
    case unsupportedBitWidth(scheme: Scheme, bitWidth: Int)
    /// A group granularity with a group size below 1.
    case invalidGroupSize(Int)
    /// The output-channel axis does not exist in the weight's shape.
    case invalidOutputChannelAxis(axis: Int, shape: [Int])
    /// A percentile outside `(0, 100]`.
    case invalidPercentile(Double)
    /// The pruned mask does not have one entry per weight.
    case prunedMaskCountMismatch(expected: Int, actual: Int)
    /// A weight is NaN or infinite, so no finite scale can represent it.
    case nonFiniteWeight(index: Int, value: Float)
    /// Activations can be quantized to 2…16 bits only.
    case unsupportedActivationBitWidth(Int)
    /// A histogram needs at least one bin.
    case invalidBinCount(Int)
    /// An activation range was requested before any finite value was observed.
    case noCalibrationData
    /// A quantized-weights record whose codes, scales or codebook do not fit together.
    case malformedQuantizedWeights(detail: String)
    /// Fixed-point fraction bits outside `FixedPointQuantizer.fractionBitsRange`.
    case invalidFractionBits(Int)

    /// One line for the user.
    public var description: String {
        switch self {
        case .unsupportedBitWidth(let scheme, let bitWidth):
            scheme.allowedBitWidths.count == 1
                ? "scheme '\(scheme.rawValue)' stores \(scheme.allowedBitWidths.lowerBound)-bit codes, not \(bitWidth)"
                : "scheme '\(scheme.rawValue)' takes \(scheme.allowedBitWidths.lowerBound)…\(scheme.allowedBitWidths.upperBound) bits, got \(bitWidth)"
        case .invalidGroupSize(let size): "group size must be at least 1, got \(size)"
        case .invalidOutputChannelAxis(let axis, let shape):
            "output-channel axis \(axis) does not exist in weight shape \(shape)"
        case .invalidPercentile(let value): "percentile must be in (0, 100], got \(value)"
        case .prunedMaskCountMismatch(let expected, let actual):
            "pruned mask has \(actual) entries for \(expected) weights"
        case .nonFiniteWeight(let index, let value): "weight \(index) is \(value); only finite weights can be quantized"
        case .unsupportedActivationBitWidth(let bits): "activations take 2…16 bits, got \(bits)"
        case .invalidBinCount(let count): "a histogram needs at least 1 bin, got \(count)"
        case .noCalibrationData: "no finite activation values were observed, so no range can be calibrated"
        case .malformedQuantizedWeights(let detail): "quantized weights are inconsistent: \(detail)"
        case .invalidFractionBits(let n):
            "fixed-point fraction bits must be in \(FixedPointQuantizer.fractionBitsRange.lowerBound)…"
                + "\(FixedPointQuantizer.fractionBitsRange.upperBound), got \(n)"
        }
    }
}

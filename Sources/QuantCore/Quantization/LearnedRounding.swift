import Foundation

/// Learned rounding (AdaRound: Nagel et al. 2020, "Up or Down? Adaptive Rounding for
/// Post-Training Quantization"): each weight of an affine layer is rounded down or up, chosen by
/// a short optimisation of the layer's output error on calibration inputs, keeping the scale and
/// zero point of the plan's quantizer.
///
/// With `s`, `z` the weight's block scale and zero point and `[qmin, qmax]` its code range:
///
/// - soft weight: `W̃ = s · (clamp(⌊W/s⌋ + h(V) + z, qmin, qmax) − z)`, with the rectified
///   sigmoid `h(V) = clip(σ(V)·(ζ − γ) + γ, 0, 1)`, `ζ = 1.1`, `γ = −0.1`; `V` starts where
///   `h(V)` is the fractional part `W/s − ⌊W/s⌋` (so the start is the float weight itself);
/// - loss: `(1/R) Σ_rows Σ_outputs ((W − W̃)·x)² + λ · Σ_weights (1 − |2h(V) − 1|^β)`, the
///   regulariser off during the warm-up (the first 20 % of iterations), then `β` annealed
///   linearly from 20 to 2; Adam on `V`;
/// - result: `q = clamp(⌊W/s⌋ + [h(V) ≥ 0.5] + z, qmin, qmax)`, decoded `(q − z) · s` exactly as
///   `AffineQuantizer.dequantize`, so every export stores these codes with the same parameters.
///
/// Pruned weights keep their zero code. Deterministic: no random draws (GEMM sums in a fixed order).
public enum LearnedRounding {
    /// The optimisation's knobs.
    public struct Options: Sendable, Equatable {
        /// Adam steps per layer.
        public var iterations = 500
        /// The fraction of `iterations` before the regulariser starts.
        public var warmupFraction = 0.2
        /// `λ`, the regulariser's weight.
        public var regularization: Float = 0.01
        /// `β` when the regulariser starts.
        public var betaStart: Float = 20
        /// `β` at the last iteration.
        public var betaEnd: Float = 2
        /// Adam's step size on `V`.
        public var learningRate: Float = 0.01

        /// The defaults above.
        public init() {}
    }

    /// The rectified sigmoid's stretch: `ζ`.
    static let zeta: Float = 1.1
    /// The rectified sigmoid's offset: `γ`.
    static let gamma: Float = -0.1

    /// The schemes learned rounding serves and their code ranges: the affine ones (`Scheme.isAffine`).
    static func codeRange(_ scheme: Scheme, bitWidth: Int) -> ClosedRange<Int32>? {
        switch scheme {
        case .symmetric, .symmetricFull, .asymmetric, .meanStd: AffineQuantizer.codeRange(scheme, bitWidth: bitWidth)
        case .fixedPoint: FixedPointQuantizer.codeRange(bitWidth: bitWidth)
        default: nil
        }
    }

    /// `h(V) = clip(σ(V)·(ζ − γ) + γ, 0, 1)`.
    static func rectifiedSigmoid(_ v: Float) -> Float {
        min(1, max(0, (1 / (1 + exp(-v))) * (zeta - gamma) + gamma))
    }

    /// The `V` with `h(V) = fraction` (fraction in `[0, 1)`).
    static func initialV(fraction: Float) -> Float {
        let p = (fraction - gamma) / (zeta - gamma)
        return log(p / (1 - p))
    }

    /// `1 − |2h − 1|^β`: 1 at `h = 0.5`, 0 at `h ∈ {0, 1}`.
    static func regularizer(_ h: Float, beta: Float) -> Float { 1 - pow(abs(2 * h - 1), beta) }

    /// `β` at `iteration` (0-based), or nil during the warm-up (regulariser off).
    static func beta(at iteration: Int, options: Options) -> Float? {
        let warmup = Int((Double(options.iterations) * options.warmupFraction).rounded())
        guard iteration >= warmup else { return nil }
        let span = max(options.iterations - 1 - warmup, 1)
        let t = Float(iteration - warmup) / Float(span)
        return options.betaStart + (options.betaEnd - options.betaStart) * min(t, 1)
    }

    /// One set of weights that share input rows: `x` `[rowCount, width]`, and the flat weight
    /// indices of its outputs, `[outputs, width]` (output-major).
    struct Group {
        /// The input rows.
        var x: [Float]
        /// Rows in `x`.
        var rowCount: Int
        /// Values per row.
        var width: Int
        /// `indices[o · width + k]`: the flat index into the weight of output `o`, entry `k`.
        var indices: [Int]
    }

    /// `(1/R) Σ_rows Σ_outputs ((W − W̃)·x)²` summed over groups, in `Double`: the reference loss.
    static func reconstructionError(float: [Float], rounded: [Float], groups: [Group]) -> Double {
        var total: Double = 0
        for group in groups {
            let outputs = group.indices.count / max(group.width, 1)
            var sum: Double = 0
            for r in 0..<group.rowCount {
                for o in 0..<outputs {
                    var dot: Double = 0
                    for k in 0..<group.width {
                        let index = group.indices[o * group.width + k]
                        dot += Double(float[index] - rounded[index]) * Double(group.x[r * group.width + k])
                    }
                    sum += dot * dot
                }
            }
            total += sum / Double(max(group.rowCount, 1))
        }
        return total
    }

    /// `quantized` (nearest-even codes of `float`) with learned codes.
    ///
    /// - Parameters:
    ///   - progress: called with the number of iterations done since the last call.
    ///   - isCancelled: checked every few iterations; a cancelled run throws `CancellationError`.
    /// - Throws: `CancellationError`; `QuantizationError` for a layout that does not fit.
    static func round(
        _ quantized: QuantizedWeights, float: [Float], groups: [Group], options: Options = Options(),
        progress: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false }
    ) throws -> QuantizedWeights {
        guard let range = codeRange(quantized.settings.scheme, bitWidth: quantized.bitWidth) else { return quantized }
        let layout = try BlockLayout(
            shape: quantized.shape, outputChannelAxis: quantized.outputChannelAxis,
            granularity: quantized.settings.granularity)
        var result = quantized
        let (qmin, qmax) = (Float(range.lowerBound), Float(range.upperBound))
        for group in groups {
            let count = group.indices.count
            var scale = [Float](repeating: 1, count: count), zero = [Float](repeating: 0, count: count)
            var base = [Float](repeating: 0, count: count), v = [Float](repeating: 0, count: count)
            var fixed = [Bool](repeating: false, count: count)
            for (i, index) in group.indices.enumerated() {
                let block = layout.blockIndex(ofElement: index)
                scale[i] = quantized.scales[block]
                zero[i] = quantized.zeroPoints.isEmpty ? 0 : Float(quantized.zeroPoints[block])
                let ratio = float[index] / scale[i]
                let floor = ratio.rounded(.down)
                base[i] = floor + zero[i]
                v[i] = initialV(fraction: min(max(ratio - floor, 0), 0.999_999))
                fixed[i] = !quantized.prunedMask.isEmpty && quantized.prunedMask[index]
            }
            let target = group.indices.map { float[$0] }
            try optimise(
                &v, group: group, target: target, scale: scale, zero: zero, base: base, fixed: fixed,
                codes: qmin...qmax, options: options, progress: progress, isCancelled: isCancelled)
            for (i, index) in group.indices.enumerated() where !fixed[i] {
                let code = Int32(min(max(base[i] + (rectifiedSigmoid(v[i]) >= 0.5 ? 1 : 0), qmin), qmax))
                result.codes[index] = code
                result.dequantized[index] = Float(code - Int32(zero[i])) * scale[i]
            }
        }
        return result
    }

    /// Adam on `v` for one group (see the type's documentation for the loss).
    private static func optimise(
        _ v: inout [Float], group: Group, target: [Float], scale: [Float], zero: [Float], base: [Float],
        fixed: [Bool], codes: ClosedRange<Float>, options: Options, progress: (Int) -> Void, isCancelled: () -> Bool
    ) throws {
        let count = v.count, rows = group.rowCount, width = group.width, outputs = count / max(width, 1)
        guard rows > 0, width > 0, outputs > 0 else { return }
        var m = [Float](repeating: 0, count: count), second = [Float](repeating: 0, count: count)
        var delta = [Float](repeating: 0, count: count), gradient = [Float](repeating: 0, count: count)
        var errors = [Float](repeating: 0, count: rows * outputs)
        var h = [Float](repeating: 0, count: count)
        let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        var reported = 0
        for iteration in 0..<options.iterations {
            if iteration % 25 == 0 {
                if isCancelled() { throw CancellationError() }
                if iteration > reported {
                    progress(iteration - reported)
                    reported = iteration
                }
            }
            for i in 0..<count {
                h[i] = rectifiedSigmoid(v[i])
                let code = min(max(base[i] + h[i], codes.lowerBound), codes.upperBound)
                delta[i] = fixed[i] ? target[i] : target[i] - scale[i] * (code - zero[i])
            }
            // E = X · Δᵀ [rows, outputs]; ∂/∂Δ = (2/R) · Eᵀ · X [outputs, width].
            group.x.withUnsafeBufferPointer { x in
                delta.withUnsafeBufferPointer { d in
                    errors.withUnsafeMutableBufferPointer { e in
                        GEMM.multiply(
                            m: rows, n: outputs, k: width, a: x.baseAddress!, b: d.baseAddress!, transposeB: true,
                            c: e.baseAddress!)
                    }
                }
                errors.withUnsafeBufferPointer { e in
                    gradient.withUnsafeMutableBufferPointer { g in
                        GEMM.multiply(
                            m: outputs, n: width, k: rows, alpha: 2 / Float(rows), a: e.baseAddress!, transposeA: true,
                            b: x.baseAddress!, c: g.baseAddress!)
                    }
                }
            }
            let beta = beta(at: iteration, options: options)
            let step = Float(iteration + 1)
            let (correction1, correction2) = (1 - pow(beta1, step), 1 - pow(beta2, step))
            for i in 0..<count where !fixed[i] {
                let soft = base[i] + h[i]
                // ∂loss/∂h: the reconstruction through W̃ = s·(clamp(…) − z), then the regulariser.
                var dh = soft >= codes.lowerBound && soft <= codes.upperBound ? -gradient[i] * scale[i] : 0
                if let beta {
                    let centred = 2 * h[i] - 1
                    let magnitude = pow(abs(centred), beta - 1)
                    dh -= options.regularization * beta * magnitude * (centred < 0 ? -2 : 2)
                }
                let sigma = 1 / (1 + exp(-v[i]))
                let inside = sigma * (zeta - gamma) + gamma
                let dv = inside > 0 && inside < 1 ? dh * sigma * (1 - sigma) * (zeta - gamma) : 0
                m[i] = beta1 * m[i] + (1 - beta1) * dv
                second[i] = beta2 * second[i] + (1 - beta2) * dv * dv
                v[i] -= options.learningRate * (m[i] / correction1) / ((second[i] / correction2).squareRoot() + epsilon)
            }
        }
        progress(options.iterations - reported)
    }
}

import CKernels
import Foundation

/// How closely a (quantized) model's outputs follow the float model's on the same samples;
/// needs no labels.
///
/// - `agreement`: share of samples whose top-1 class (argmax of the output) is the float model's.
/// - `kl`: mean KL(float ‖ quantized) of the class distributions, in nats: the softmax of
///   logits, a Softmax output's probabilities as they are, a LogSoftmax output's exponentials.
///   Only for outputs that are classes (`Workbench.outputsAreClasses`); `nil` for embeddings
///   and other outputs, where a distribution over output values means nothing.
/// - `cosine`: mean per-sample cosine similarity of the output vectors (1 for two zero vectors).
/// - `relativeMSE`: Σ(quantized − float)² / Σ float² over every output value.
/// - `neighbours`: share of samples whose nearest neighbour (cosine) among the other evaluated
///   samples is the same under both models; measured for outputs that are not classes (data
///   without labels) when there are at most `FidelitySums.maximumNeighbourSamples` samples.
///
/// Samples whose outputs (either model's) hold NaN or ±∞ are left out of `kl`, `cosine` and
/// `relativeMSE`; with none left those are NaN.
public struct Fidelity: Codable, Sendable, Equatable {
    public var agreement: Double
    public var kl: Double?
    public var cosine: Double
    public var relativeMSE: Double
    public var neighbours: Double?

    /// Creates a fidelity record from its values.
    public init(agreement: Double, kl: Double?, cosine: Double, relativeMSE: Double, neighbours: Double? = nil) {
        self.agreement = agreement
        self.kl = kl
        self.cosine = cosine
        self.relativeMSE = relativeMSE
        self.neighbours = neighbours
    }

    /// The float model compared with itself (`classes`: whether `kl` is measured).
    public static func identical(neighbours: Bool, classes: Bool = true) -> Fidelity {
        Fidelity(agreement: 1, kl: classes ? 0 : nil, cosine: 1, relativeMSE: 0, neighbours: neighbours ? 1 : nil)
    }

    /// `agreement 98.40 %, KL 0.0123, cosine 0.99871, rel. MSE 2.1e-03, neighbours 97.0 %`
    /// (no KL for outputs that are not classes).
    public var summary: String {
        var text = String(format: "agreement %.2f %%", agreement * 100)
        if let kl { text += String(format: ", KL %.4f", kl) }
        text += String(format: ", cosine %.5f, rel. MSE %.2e", cosine, relativeMSE)
        if let neighbours { text += String(format: ", neighbours %.1f %%", neighbours * 100) }
        return text
    }
}

/// Fidelity sums over some samples, added batch by batch in sample order (in `Double`), so
/// nothing but one batch's outputs is ever held.
public struct FidelitySums: Sendable, Equatable {
    /// Samples compared.
    public var count = 0
    /// Samples with the same top-1 class.
    public var agreeing = 0
    /// Samples whose outputs are all finite (the ones summed below).
    public var finiteCount = 0
    /// Σ KL(float ‖ quantized).
    public var klSum = 0.0
    /// Whether the outputs are classes, so the KL means something (false when any batch's are not).
    public var measuresKL = true
    /// Σ cosine similarity.
    public var cosineSum = 0.0
    /// Σ (quantized − float)².
    public var squaredError = 0.0
    /// Σ float².
    public var referenceSquared = 0.0

    /// No samples yet.
    public init() {}

    /// The most samples the nearest-neighbour agreement is measured on (an N × N comparison).
    public static let maximumNeighbourSamples = 4096

    /// The sums of one batch: `output` and `reference` are `[B, ...]` raw outputs (compared
    /// value by value), `logits` and `referenceLogits` `[B, classes]` as `Graph.classifierLogits`
    /// reads them (log-probabilities for a Softmax output; softmax for the KL, argmax for
    /// agreement). `classes: false` (an embedding, a regression) leaves the KL out.
    public init(output: Tensor, reference: Tensor, logits: Tensor, referenceLogits: Tensor, classes: Bool = true) {
        measuresKL = classes
        let rows = output.shape.first ?? 0
        guard rows > 0, output.count == reference.count, logits.count == referenceLogits.count else { return }
        let width = output.count / rows
        let classes = logits.count / rows
        count = rows
        for row in 0..<rows {
            let out = output.storage[(row * width)..<((row + 1) * width)]
            let ref = reference.storage[(row * width)..<((row + 1) * width)]
            let rowLogits = logits.storage[(row * classes)..<((row + 1) * classes)]
            let referenceRow = referenceLogits.storage[(row * classes)..<((row + 1) * classes)]
            if EvaluationMetrics.argmax(rowLogits) == EvaluationMetrics.argmax(referenceRow) { agreeing += 1 }
            guard out.allSatisfy(\.isFinite), ref.allSatisfy(\.isFinite),
                rowLogits.allSatisfy({ !$0.isNaN && $0 != .infinity }),
                referenceRow.allSatisfy({ !$0.isNaN && $0 != .infinity })
            else { continue }
            finiteCount += 1
            var dot = 0.0, outSquared = 0.0, refSquared = 0.0, error = 0.0
            for (a, b) in zip(out, ref) {
                let q = Double(a), f = Double(b)
                dot += q * f
                outSquared += q * q
                refSquared += f * f
                error += (q - f) * (q - f)
            }
            if outSquared == 0 && refSquared == 0 {
                cosineSum += 1
            } else if outSquared > 0 && refSquared > 0 {
                cosineSum += dot / (outSquared.squareRoot() * refSquared.squareRoot())
            }
            squaredError += error
            referenceSquared += refSquared
            if measuresKL { klSum += FidelitySums.kl(reference: referenceRow, output: rowLogits) }
        }
    }

    /// KL(softmax(reference) ‖ softmax(output)) in nats, ≥ 0; a class the float model gives
    /// probability 0 contributes nothing. Log-probabilities (a Softmax output read by
    /// `Graph.classifierLogits`, a LogSoftmax output) are their own log-softmax, so their
    /// probabilities are used as they are.
    static func kl(reference: ArraySlice<Float>, output: ArraySlice<Float>) -> Double {
        let p = EvaluationMetrics.logSoftmax(reference)
        let q = EvaluationMetrics.logSoftmax(output)
        var sum = 0.0
        for (logP, logQ) in zip(p, q) where logP > -.infinity {
            sum += exp(logP) * (logP - logQ)
        }
        return max(sum, 0)
    }

    /// Adds another batch's sums (the next samples).
    public mutating func add(_ other: FidelitySums) {
        count += other.count
        agreeing += other.agreeing
        finiteCount += other.finiteCount
        klSum += other.klSum
        measuresKL = measuresKL && other.measuresKL
        cosineSum += other.cosineSum
        squaredError += other.squaredError
        referenceSquared += other.referenceSquared
    }

    /// The means, with `neighbours` when measured.
    public func fidelity(neighbours: Double? = nil) -> Fidelity {
        let finite = Double(finiteCount)
        return Fidelity(
            agreement: count > 0 ? Double(agreeing) / Double(count) : 0,
            kl: measuresKL ? (finiteCount > 0 ? klSum / finite : .nan) : nil,
            cosine: finiteCount > 0 ? cosineSum / finite : .nan,
            relativeMSE: finiteCount == 0
                ? .nan : referenceSquared > 0 ? squaredError / referenceSquared : (squaredError == 0 ? 0 : .infinity),
            neighbours: neighbours)
    }

    /// The share of the `count` samples (rows of `width` values) whose nearest neighbour by
    /// cosine similarity among the other samples is the same under `output` as under
    /// `reference`; `nil` for fewer than 3 samples or more than `maximumNeighbourSamples`.
    /// Ties go to the lower index; a zero or non-finite row has no neighbour (never agrees).
    public static func neighbourAgreement(reference: [Float], output: [Float], count: Int, width: Int) -> Double? {
        guard count >= 3, count <= maximumNeighbourSamples, width >= 1, reference.count == count * width,
            output.count == count * width
        else { return nil }
        let a = nearestNeighbours(normalizedRows(reference, count: count, width: width), count: count, width: width)
        let b = nearestNeighbours(normalizedRows(output, count: count, width: width), count: count, width: width)
        let same = zip(a, b).filter { $0 == $1 && $0 >= 0 }.count
        return Double(same) / Double(count)
    }

    /// Each row divided by its length (all zeros when it is zero or not finite).
    private static func normalizedRows(_ values: [Float], count: Int, width: Int) -> [Float] {
        var result = values
        for row in 0..<count {
            let range = (row * width)..<((row + 1) * width)
            var squared = 0.0
            for value in values[range] { squared += Double(value) * Double(value) }
            let length = squared.squareRoot()
            for index in range {
                result[index] = length > 0 && length.isFinite ? Float(Double(values[index]) / length) : 0
            }
        }
        return result
    }

    /// For each unit-length row, the index of the row with the largest dot product (itself
    /// excluded), or -1 for a zero row; blocks of 256 rows of the Gram matrix at a time.
    private static func nearestNeighbours(_ rows: [Float], count: Int, width: Int) -> [Int] {
        var nearest = [Int](repeating: -1, count: count)
        let block = 256
        var gram = [Float](repeating: 0, count: block * count)
        rows.withUnsafeBufferPointer { matrix in
            guard let base = matrix.baseAddress else { return }
            for start in stride(from: 0, to: count, by: block) {
                let m = min(block, count - start)
                gram.withUnsafeMutableBufferPointer { c in
                    c.update(repeating: 0)
                    ck_sgemm(0, 1, m, count, width, 1, base + start * width, width, base, width, c.baseAddress!, count)
                }
                for local in 0..<m {
                    let row = start + local
                    guard matrix[(row * width)..<((row + 1) * width)].contains(where: { $0 != 0 }) else { continue }
                    var best = -1
                    var bestValue = -Float.infinity
                    for other in 0..<count where other != row {
                        let value = gram[local * count + other]
                        if value > bestValue {
                            best = other
                            bestValue = value
                        }
                    }
                    nearest[row] = best
                }
            }
        }
        return nearest
    }
}

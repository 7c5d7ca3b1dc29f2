/// Binary weights (BinaryConnect with XNOR-Net's scaling): `x ≈ α · q`, `q ∈ {−1, +1}`.
///
/// - Per block `α = mean |w|` over the weights coded ±1, i.e. the unpruned ones: the
///   least-squares scale for fixed signs (XNOR-Net). Without pruning it is `mean |w|` of the
///   block. A block of zeros gets `α = 0` (no division happens, so no scale-1 fallback is needed).
/// - Code: `+1` for `w ≥ 0` (sign(0) = +), `−1` for `w < 0`. Zero is therefore *not*
///   representable: an unpruned 0.0 becomes `+α`.
/// - Pruned weights get code 0 and decode to exactly 0. One bit cannot hold that third state, so
///   a pruned binary layer needs the pruned mask stored beside the sign bits (a sparse or ternary
///   layout); the size model accounts for it.
/// - Storage: 1 bit per weight (1 = +α) and a float32 α per block: `1 + 32 / blockSize` bits per
///   weight. `RangeMethod` and stochastic rounding are not used.
///
/// Worked table, block `[0.5, −0.3, 0.1, −0.1]` (α = 1.0 / 4 = 0.25):
///
/// | x | q | x' |
/// | --- | --- | --- |
/// | 0.5 | +1 | 0.25 |
/// | −0.3 | −1 | −0.25 |
/// | 0.1 | +1 | 0.25 |
/// | −0.1 | −1 | −0.25 |
enum BinaryQuantizer {
    /// Quantizes one block: α from the unpruned weights, then each weight's sign.
    static func quantizeBlock(_ block: BlockBuffers) -> BlockParameters {
        var magnitudeSum: Double = 0
        var codedCount = 0
        for i in block.values.indices where !(block.isPruned?[i] ?? false) {
            magnitudeSum += Double(abs(block.values[i]))
            codedCount += 1
        }
        let alpha = codedCount > 0 ? Float(magnitudeSum / Double(codedCount)) : 0
        for i in block.values.indices {
            let code: Int32 = (block.isPruned?[i] ?? false) ? 0 : (block.values[i] < 0 ? -1 : 1)
            block.codes[i] = code
            block.dequantized[i] = Float(code) * alpha
        }
        return BlockParameters(scale: alpha)
    }
}

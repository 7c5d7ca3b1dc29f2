import CKernels

/// Whole-array reductions on the vector units (CKernels `reductions.c`: 16 explicit lanes the
/// compiler vectorizes). They are the fast paths of the plain loops in `ClippingRange`,
/// `WeightHistogram` and `ErrorMetrics`, and are tested against those loops
/// (`VectorReductionsTests`).
enum VectorReductions {
    /// The smallest and largest of `values` ((0, 0) when empty). Exact; values must not be NaN
    /// (weights and data are checked finite when loaded).
    static func minMax(_ values: UnsafeBufferPointer<Float>) -> (lower: Float, upper: Float) {
        guard let base = values.baseAddress else { return (0, 0) }
        var lower: Float = 0, upper: Float = 0
        ck_min_max(base, values.count, &lower, &upper)
        return (lower, upper)
    }

    /// The smallest and largest finite value of `values`, or nil when none is finite.
    static func finiteMinMax(_ values: UnsafeBufferPointer<Float>) -> (lower: Float, upper: Float)? {
        guard let base = values.baseAddress else { return nil }
        var lower: Float = 0, upper: Float = 0
        return ck_finite_min_max(base, values.count, &lower, &upper) != 0 ? (lower, upper) : nil
    }

    /// The largest |value| (0 when empty). Values must not be NaN.
    static func maxMagnitude(_ values: UnsafeBufferPointer<Float>) -> Float {
        let (lower, upper) = minMax(values)
        return max(abs(lower), abs(upper))
    }

    /// Σw², Σw'², Σw·w', Σ(w − w')², max |w − w'| and the count of w' == 0 over two equal-length
    /// arrays: float lanes per block of 4096 elements, blocks summed in `Double`.
    static func comparisonSums(
        _ float: UnsafeBufferPointer<Float>, _ decoded: UnsafeBufferPointer<Float>
    ) -> (signal: Double, decoded: Double, dot: Double, noise: Double, maxError: Double, zeros: Int) {
        precondition(float.count == decoded.count)
        guard let a = float.baseAddress, let b = decoded.baseAddress else { return (0, 0, 0, 0, 0, 0) }
        var sums = (0.0, 0.0, 0.0, 0.0)
        var maxError: Float = 0
        var zeros = 0
        withUnsafeMutableBytes(of: &sums) { raw in
            if let pointer = raw.baseAddress?.assumingMemoryBound(to: Double.self) {
                ck_comparison_sums(a, b, float.count, pointer, &maxError, &zeros)
            }
        }
        return (sums.0, sums.1, sums.2, sums.3, Double(maxError), zeros)
    }
}

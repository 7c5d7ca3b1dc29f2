@testable import QuantCore

/// Finite-difference helpers for the training tests.
enum GradientCheck {
    /// A tensor of `shape` with values uniform in `range`, reproducible from `seed`.
    static func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(
            shape: shape, storage: (0..<Tensor.elementCount(of: shape)).map { _ in generator.nextFloat(in: range) })
    }

    /// `Σ a ⊙ b` in Double: the scalar objective whose gradient with respect to `a` is `b`.
    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.storage, b.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Central differences `(f(x + ε·e_i) − f(x − ε·e_i)) / 2ε` for every element i of `x`.
    static func numericGradient(of x: Tensor, epsilon: Float = 1e-2, _ objective: (Tensor) -> Double) -> [Double] {
        (0..<x.count).map { index in
            var plus = x, minus = x
            plus.storage[index] += epsilon
            minus.storage[index] -= epsilon
            return (objective(plus) - objective(minus)) / Double(2 * epsilon)
        }
    }

    /// `‖a − n‖ / max(‖a‖ + ‖n‖, 1e-12)`: 0 for a perfect match, about 1e-7…1e-4 for correct Float gradients.
    static func relativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
        guard analytic.count == numeric.count else { return .infinity }
        var difference = 0.0, sizeA = 0.0, sizeN = 0.0
        for (a, n) in zip(analytic, numeric) {
            difference += (Double(a) - n) * (Double(a) - n)
            sizeA += Double(a) * Double(a)
            sizeN += n * n
        }
        return difference.squareRoot() / max(sizeA.squareRoot() + sizeN.squareRoot(), 1e-12)
    }

    /// The first element where `|a − n| > atol + rtol · |n|`, described, or `nil` when all agree.
    static func firstMismatch(
        _ analytic: [Float], _ numeric: [Double], rtol: Double = 2e-2, atol: Double = 1e-4
    ) -> String? {
        guard analytic.count == numeric.count else { return "count \(analytic.count) != \(numeric.count)" }
        for (index, (a, n)) in zip(analytic, numeric).enumerated() where !(abs(Double(a) - n) <= atol + rtol * abs(n)) {
            return "element \(index): analytic \(a), numeric \(n)"
        }
        return nil
    }
}

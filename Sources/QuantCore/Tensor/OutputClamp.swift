/// Bounds applied to a kernel's output as it is written: a ReLU (`0…∞`), ReLU6 (`0…6`) or Clip
/// fused into the convolution before it, so the activation costs no pass of its own.
///
/// The rule is ONNX Clip's, as `Ops.clip` applies it: `v < low ? low : v`, then
/// `v > high ? high : v`, so NaN stays NaN and `low > high` gives `high` everywhere; ReLU is
/// the case `low = 0, high = +∞` (`-0.0` stays `-0.0`, as in `Ops.relu`).
public struct OutputClamp: Sendable, Equatable {
    /// The lower bound (`-∞` for none).
    public var low: Float
    /// The upper bound (`+∞` for none).
    public var high: Float

    /// ReLU's bounds.
    public static let relu = OutputClamp(low: 0, high: .infinity)

    public init(low: Float, high: Float) {
        self.low = low
        self.high = high
    }

    /// Calls `body` with `[low, high]` as CKernels' `clamp` argument, or `nil` when `clamp` is nil.
    static func withBounds<Result>(
        _ clamp: OutputClamp?, _ body: (UnsafePointer<Float>?) throws -> Result
    ) rethrows -> Result {
        guard let clamp else { return try body(nil) }
        let bounds = [clamp.low, clamp.high]
        return try bounds.withUnsafeBufferPointer { try body($0.baseAddress) }
    }

    /// Applies the bounds to `count` values at `values` (where no kernel did it on writing).
    func apply(to values: UnsafeMutablePointer<Float>, count: Int) {
        let low = self.low, high = self.high
        for index in 0..<count {
            var value = values[index]
            value = value < low ? low : value
            value = value > high ? high : value
            values[index] = value
        }
    }
}

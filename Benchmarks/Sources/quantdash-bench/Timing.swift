import Foundation

/// Wall-clock timing for the benchmarks: monotonic nanoseconds, medians over repeated runs.
enum Timing {
    /// Milliseconds since an arbitrary fixed point (monotonic).
    static func nowMilliseconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e6
    }

    /// Runs `body` `warmUp` times untimed, then `runs` times timed; returns the samples in ms.
    static func samples(runs: Int, warmUp: Int = 2, _ body: (Int) throws -> Void) rethrows -> [Double] {
        for run in 0..<warmUp { try body(-1 - run) }
        var samples: [Double] = []
        samples.reserveCapacity(runs)
        for run in 0..<runs {
            let start = nowMilliseconds()
            try body(run)
            samples.append(nowMilliseconds() - start)
        }
        return samples
    }

    /// The median of `values` (mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// One measured figure of ours or a peer's.
struct Measurement: Codable, Sendable {
    /// Benchmark id, e.g. `full-float-pass`, `per-change`, `layer-report`.
    var benchmark: String
    /// What it ran on: a model, a layer, a setting.
    var subject: String
    /// `quantdash`, `onnxruntime` or `pytorch`.
    var system: String
    /// A variant within the benchmark (batching, a layer, a scheme).
    var variant: String = ""
    /// Median in milliseconds (or the unit in `unit`).
    var median: Double
    /// `ms`, `bytes` or `MiB`.
    var unit: String = "ms"
    /// Number of timed runs.
    var runs: Int
    /// The target from the issue, in `unit`, when there is one.
    var target: Double? = nil
    /// Free-form details (accuracy reached, sizes).
    var detail: [String: String] = [:]
}

import Foundation

/// Progress of opening files — reading a model, decoding its weights, hashing the files a
/// session records — reported as `EngineProgress` (phases `.readingModel`, `.decodingWeights`,
/// `.hashing`), each phase timed from its own start so its time left is right.
public struct LoadProgress: Sendable {
    /// Where reports go (called on the loading thread).
    public let report: @Sendable (EngineProgress) -> Void
    private let now: @Sendable () -> Double

    /// Progress going to `report`; `now` is a monotonic clock in seconds (injected by tests).
    public init(
        now: @escaping @Sendable () -> Double = Engine.now, _ report: @escaping @Sendable (EngineProgress) -> Void
    ) {
        self.report = report
        self.now = now
    }

    /// A phase that reports through this progress: call it with the units done so far.
    public func phase(_ phase: EngineProgress.Phase, total: Int) -> Phase {
        Phase(progress: self, phase: phase, total: total, start: now())
    }

    /// One running phase of the opening.
    public struct Phase {
        let progress: LoadProgress
        let phase: EngineProgress.Phase
        let total: Int
        let start: Double

        /// Reports `done` of the phase's `total` units.
        public func callAsFunction(_ done: Int) {
            progress.report(
                EngineProgress(phase: phase, done: done, total: total, elapsedSeconds: progress.now() - start))
        }
    }

    /// `bytes` in whole MiB, rounded up (so a started MiB counts).
    static func mebibytes(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}

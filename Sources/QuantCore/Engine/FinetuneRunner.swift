import Foundation

/// Runs the dashboard's fine-tuning (`T`) behind the engine: trains the plan's student through its
/// quantizers with the float model as teacher (`FineTuner`) on the training set, never the
/// held-out one, reporting every step; after the last epoch, or when stopped (the best epoch so
/// far is kept), writes the fine-tuned model atomically and reports its path, digest and held-out
/// figure (scored as `quantdash eval --model … --plan …` would score that file).
///
/// One run at a time, on its own queue at utility priority; the engine's plan work goes on beside
/// it. Events are collected for `drain()`.
public final class FinetuneRunner: @unchecked Sendable {
    /// What a finished run produced.
    public struct Summary: Sendable, Equatable {
        /// The plan trained through.
        public var plan: QuantPlan
        /// Where the fine-tuned model was written.
        public var model: URL
        /// Its SHA-256, hex.
        public var digest: String
        /// Held-out top-1 of the plan on the original weights, and on the kept ones.
        public var top1Before: Double, top1After: Double
        /// The epoch kept (0: none finished, nothing written), of how many run.
        public var keptEpoch: Int, epochs: Int
        /// Whether it was stopped before the last epoch.
        public var wasStopped: Bool
        /// Seconds spent training.
        public var seconds: Double
    }

    /// What the dashboard is told.
    public enum Event: Sendable, Equatable {
        /// The run started: the training data it reads and the file it will write.
        case started(training: String, model: URL)
        /// After every training step.
        case progress(FineTuner.Progress)
        /// After each epoch: its number and the quantized student's held-out top-1.
        case epoch(number: Int, top1: Double)
        /// The run ended and its model is written (`keptEpoch` 0: stopped before any epoch, nothing written).
        case finished(Summary)
        /// The run was stopped with `stop(keeping: false)` (quitting) and wrote nothing.
        case discarded
        /// The run could not start or failed; one line.
        case failed(String)
    }

    private let workbench: Workbench
    private let queue = DispatchQueue(label: "quantdash.finetune", qos: .utility)
    private let lock = NSLock()
    private var outbox: [Event] = []
    private var stopRequested = false
    private var discardRequested = false
    private var running = false

    /// A runner fine-tuning `workbench`'s model, scored on its held-out and calibration sets.
    public init(workbench: Workbench) {
        self.workbench = workbench
    }

    /// Whether a run is going on.
    public var isRunning: Bool { lock.withLock { running } }

    /// Starts fine-tuning `plan` on `training` (named `trainingName` in errors), writing the
    /// result to `output`; does nothing when a run is going on.
    public func start(
        _ plan: QuantPlan, training: @escaping @Sendable () throws -> Dataset, trainingName: String, output: URL,
        options: FineTuner.Options = FineTuner.Options()
    ) {
        let started = lock.withLock { () -> Bool in
            guard !running else { return false }
            running = true
            stopRequested = false
            discardRequested = false
            return true
        }
        guard started else { return }
        post(.started(training: trainingName, model: output))
        queue.async { [self] in
            defer { lock.withLock { running = false } }
            do {
                try run(plan, training: training, trainingName: trainingName, output: output, options: options)
            } catch is CancellationError {
                // Stopped in the teacher pass or the first held-out evaluation: nothing to keep.
                post(.failed("stopped before the first training step; nothing written"))
            } catch {
                post(.failed(String(describing: error)))
            }
        }
    }

    /// Stops the run after the current step; the best epoch so far is still written unless
    /// `keeping` is false (quitting: nothing is written).
    public func stop(keeping: Bool = true) {
        lock.withLock {
            stopRequested = true
            if !keeping { discardRequested = true }
        }
    }

    /// The events since the last call, oldest first.
    public func drain() -> [Event] {
        lock.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    /// Blocks until the run is over (tests, quitting after `stop`).
    public func waitUntilIdle() {
        queue.sync {}
    }

    private func post(_ event: Event) {
        lock.withLock { outbox.append(event) }
    }

    private func run(
        _ plan: QuantPlan, training: () throws -> Dataset, trainingName: String, output: URL,
        options: FineTuner.Options
    ) throws {
        let tuner = try FineTuner(graph: workbench.graph, plan: plan, file: workbench.graph.name)
        let evaluation = HeldOutEvaluation(heldOut: workbench.heldOut, calibration: workbench.calibration)
        let result = try tuner.run(
            training: try training(), trainingFile: trainingName, evaluation: evaluation, options: options,
            progress: { [self] in post(.progress($0)) },
            epochEnded: { [self] in post(.epoch(number: $0.number, top1: $0.report.top1)) },
            isCancelled: { [self] in lock.withLock { stopRequested } })
        var summary = Summary(
            plan: plan, model: output, digest: "", top1Before: result.before.top1, top1After: result.report.top1,
            keptEpoch: result.keptEpoch, epochs: result.epochs.count, wasStopped: result.wasCancelled,
            seconds: result.trainingSeconds)
        if lock.withLock({ discardRequested }) { return post(.discarded) }
        if result.keptEpoch > 0 {
            try ONNXModel.write(result.graph, to: output)
            summary.digest = try FileDigest.sha256(of: output)
        }
        post(.finished(summary))
    }
}

import Foundation
import QuantCore

/// Latest-wins background evaluation: at most one evaluation runs and one waits; a newer plan
/// replaces the waiting one and cancels the running one at its next batch. Results come back
/// as `Action`s tagged with the plan's generation, collected until the UI loop drains them.
///
/// Each plan gets a quick estimate on an evenly spaced subset of the held-out set first (with
/// its 95 % interval), then the exact full-set result with progress. The estimate is skipped
/// while exact results come fast anyway: when the last exact evaluation of a plan took less than
/// `estimateThreshold` seconds (incremental re-evaluation makes most changes that fast).
public final class EvaluationScheduler: @unchecked Sendable {
    /// Samples in the quick estimate (0: no estimate).
    public let estimateSize: Int
    /// Seconds an exact evaluation may take before plans get an estimate first.
    public let estimateThreshold: Double

    private let workbench: Workbench
    private let queue = DispatchQueue(label: "quantdash.evaluation", qos: .userInitiated)
    private let lock = NSLock()
    private var pending: Job?
    private var isFloatRequested = false
    private var latestGeneration = -1
    private var isRunning = false
    private var outbox: [Action] = []
    private var wakeUp: (@Sendable () -> Void)?
    private let now: @Sendable () -> Double
    /// Seconds the last completed exact evaluation of a plan took (nil before the first).
    private var lastExactSeconds: Double?

    private enum Job {
        case float
        case plan(QuantizedModel, generation: Int)
    }

    /// A scheduler evaluating on `workbench`'s held-out set.
    ///
    /// - Parameter onResult: called on the background queue whenever results are ready (e.g. to
    ///   wake an event loop); may be nil when the loop polls.
    ///   - estimateThreshold: estimate first only after an exact evaluation slower than this.
    ///   - now: a clock in seconds (injected by tests).
    public init(
        workbench: Workbench, estimateSize: Int = 200, estimateThreshold: Double = 0.05,
        now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
        onResult: (@Sendable () -> Void)? = nil
    ) {
        self.workbench = workbench
        self.estimateSize = estimateSize
        self.estimateThreshold = estimateThreshold
        self.now = now
        self.wakeUp = onResult
    }

    /// Queues the float model's evaluation (the baseline every plan is compared with).
    public func evaluateFloat() {
        enqueue(.float, generation: nil)
    }

    /// Queues `model` as plan `generation`, superseding any older plan.
    public func submit(_ model: QuantizedModel, generation: Int) {
        enqueue(.plan(model, generation: generation), generation: generation)
    }

    /// The results gathered since the last call, oldest first.
    public func drain() -> [Action] {
        lock.withLock {
            let actions = outbox
            outbox.removeAll()
            return actions
        }
    }

    /// Whether an evaluation is running or waiting.
    public var isBusy: Bool {
        lock.withLock { isRunning || pending != nil || isFloatRequested }
    }

    /// Blocks until nothing runs or waits (for tests and clean shutdown).
    public func waitUntilIdle() {
        while isBusy { Thread.sleep(forTimeInterval: 0.002) }
    }

    private func enqueue(_ job: Job, generation: Int?) {
        let shouldStart: Bool = lock.withLock {
            if let generation { latestGeneration = generation }
            if case .float = job {
                isFloatRequested = true
            } else {
                pending = job  // replaces an older waiting plan
            }
            if isRunning { return false }
            isRunning = true
            return true
        }
        if shouldStart { queue.async { [self] in runJobs() } }
    }

    private func runJobs() {
        while true {
            let job: Job? = lock.withLock {
                if isFloatRequested {
                    isFloatRequested = false
                    return .float
                }
                let next = pending
                pending = nil
                if next == nil { isRunning = false }
                return next
            }
            guard let job else { return }
            run(job)
        }
    }

    private func run(_ job: Job) {
        switch job {
        case .float:
            do {
                post(.floatEvaluated(try workbench.floatReport()))
            } catch {
                post(.failed("float evaluation failed: \(error)"))
            }
        case .plan(let model, let generation):
            let isStale = { [self] in lock.withLock { latestGeneration != generation } }
            do {
                let isExactSlow = lock.withLock { lastExactSeconds.map { $0 >= estimateThreshold } ?? true }
                if estimateSize > 0 && estimateSize < workbench.heldOut.count && !model.isFloat && isExactSlow {
                    let estimate = try workbench.evaluate(model, sampleSize: estimateSize, isCancelled: isStale)
                    post(.evaluationFinished(generation: generation, report: estimate))
                }
                let start = now()
                let exact = try workbench.evaluate(
                    model,
                    progress: { [self] fraction in
                        post(.evaluationProgress(generation: generation, fraction: fraction))
                    }, isCancelled: isStale)
                let seconds = now() - start
                lock.withLock { lastExactSeconds = seconds }
                post(.evaluationFinished(generation: generation, report: exact))
            } catch is CancellationError {
                return  // a newer plan took over
            } catch {
                post(.evaluationFailed(generation: generation, message: "\(error)"))
            }
        }
    }

    private func post(_ action: Action) {
        lock.withLock { outbox.append(action) }
        wakeUp?()
    }
}

import Foundation

/// The engine pipeline: the one entry point through which the dashboard, saving, exporting and
/// the command line turn plans into results.
///
/// Plans are *submitted* with a generation number, latest wins. Each is quantized on a
/// quantization queue (layer reports are cached, so this is one layer's work per edit), then
/// evaluated on an evaluation queue: a quick estimate first when exact results are slow (it
/// sharpens batch by batch, see `Workbench.progressiveEstimate`), then the exact result with
/// progress. A newer submission makes older work stale; stale work stops between two graph
/// nodes and its results are never published. Nothing here ever runs on the caller's thread,
/// so a screen that submits plans never waits for the engine.
///
/// Results come out as `EngineEvent`s (drained by a UI loop, which folds them into its state)
/// and as a `Snapshot` of the latest plan, which `waitForExact` lets a save, an export or the
/// command line wait on, with progress, instead of evaluating on their own. `shutDown()`
/// cancels everything at once (quitting).
public final class Engine: @unchecked Sendable {
    /// What the engine knows of the latest submitted plan.
    public struct Snapshot: Sendable, Equatable {
        /// The plan's generation.
        public var generation: Int
        /// The plan.
        public var plan: QuantPlan
        /// The quantized model (layer reports, size), once applied.
        public var model: QuantizedModel?
        /// The latest estimate, if one was made.
        public var estimate: EvalReport?
        /// The exact result, once in.
        public var exact: EvalReport?
        /// Progress of the work running for it.
        public var progress: EngineProgress?
        /// Why applying or evaluating it failed.
        public var error: String?
    }

    /// The workbench every result comes from.
    public let workbench: Workbench
    /// Samples in a quick estimate (0: never estimate).
    public let estimateSize: Int
    /// Exact evaluations slower than this many seconds get an estimate first.
    public let estimateThreshold: Double
    /// Seconds the first estimate batch should take: its batch size follows from this.
    public let firstEstimateSeconds: Double

    private let quantizeQueue = DispatchQueue(label: "quantdash.engine.quantize", qos: .userInitiated)
    private let evaluateQueue = DispatchQueue(label: "quantdash.engine.evaluate", qos: .utility)
    private let condition = NSCondition()
    private var snapshot: Snapshot?
    private var latestGeneration = -1
    private var pending: (model: QuantizedModel, generation: Int)?
    private var isFloatRequested = false
    private var isEvaluating = false
    private var isShutDown = false
    private var outbox: [EngineEvent] = []
    private let collectsEvents: Bool
    private let wakeUp: (@Sendable () -> Void)?
    /// Seconds per held-out sample of the last full evaluation (sets the estimate's batches).
    private var secondsPerSample: Double?
    /// Seconds the last exact evaluation of a plan took.
    private var lastExactSeconds: Double?
    /// A clock in seconds (injected by tests).
    private let now: @Sendable () -> Double
    /// The background sensitivity analysis, once started (`startSensitivity`).
    var sensitivityWorker: SensitivityWorker? {
        get { condition.withLock { worker } }
        set { condition.withLock { worker = newValue } }
    }
    private var worker: SensitivityWorker?

    /// An engine over `workbench`.
    ///
    /// - Parameters:
    ///   - estimateSize: samples in a quick estimate (0: none).
    ///   - estimateThreshold: estimate first once an exact evaluation took longer than this.
    ///   - firstEstimateSeconds: the first estimate should take about this long.
    ///   - collectsEvents: whether events are kept for `drain()` (a UI loop); callers that only
    ///     wait for results (the command line) pass false.
    ///   - now: a monotonic clock in seconds (injected by tests).
    ///   - onEvent: called on an engine queue whenever events are waiting (to wake a loop).
    public init(
        workbench: Workbench, estimateSize: Int = 200, estimateThreshold: Double = 0.05,
        firstEstimateSeconds: Double = 0.3, collectsEvents: Bool = true,
        now: @escaping @Sendable () -> Double = Engine.now, onEvent: (@Sendable () -> Void)? = nil
    ) {
        self.now = now
        self.collectsEvents = collectsEvents
        self.workbench = workbench
        self.estimateSize = estimateSize
        self.estimateThreshold = estimateThreshold
        self.firstEstimateSeconds = firstEstimateSeconds
        self.wakeUp = onEvent
    }

    // MARK: Submitting

    /// Queues the float model's evaluation (the baseline every plan is compared with).
    public func evaluateFloat() {
        let shouldStart: Bool = condition.withLock {
            guard !isShutDown else { return false }
            isFloatRequested = true
            return startEvaluatingLocked()
        }
        if shouldStart { evaluateQueue.async { [self] in runEvaluations() } }
    }

    /// Submits `plan` as generation `generation` (increasing), superseding every older plan.
    public func submit(_ plan: QuantPlan, generation: Int) {
        condition.withLock {
            guard !isShutDown else { return }
            latestGeneration = max(latestGeneration, generation)
            snapshot = Snapshot(generation: generation, plan: plan)
            condition.broadcast()
        }
        quantizeQueue.async { [self] in apply(plan, generation: generation) }
        sensitivityWorker?.planChanged(plan, generation: generation)
    }

    /// Submits `plan` as the next generation and returns that generation.
    @discardableResult
    public func submit(_ plan: QuantPlan) -> Int {
        let generation = condition.withLock { latestGeneration + 1 }
        submit(plan, generation: generation)
        return generation
    }

    /// Cancels all work and accepts no more (quitting). Running work stops between two graph nodes.
    public func shutDown() {
        condition.withLock {
            isShutDown = true
            latestGeneration = Int.max
            pending = nil
            isFloatRequested = false
            condition.broadcast()
        }
        sensitivityWorker?.shutDown()
    }

    // MARK: Reading results

    /// The events gathered since the last call, oldest first.
    public func drain() -> [EngineEvent] {
        condition.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    /// What is known of the latest submitted plan.
    public var latest: Snapshot? { condition.withLock { snapshot } }

    /// Whether anything is queued or running.
    public var isBusy: Bool {
        condition.withLock { isEvaluating || pending != nil || isFloatRequested || isApplying }
    }

    private var isApplying = false

    /// Blocks until nothing is queued or running (tests, clean shutdown).
    public func waitUntilIdle() {
        quantizeQueue.sync {}
        condition.withLock {
            while isEvaluating || pending != nil || isFloatRequested { condition.wait() }
        }
    }

    /// Waits for the exact result of plan `generation`, calling `progress` as work advances.
    ///
    /// - Returns: the quantized model and its exact report.
    /// - Throws: `CancellationError` when a newer plan supersedes it or the engine shuts down;
    ///   `EngineError.failed` with the engine's message when applying or evaluating failed.
    public func waitForExact(
        generation: Int, progress: ((EngineProgress) -> Void)? = nil
    ) throws -> (model: QuantizedModel, report: EvalReport) {
        var lastProgress: EngineProgress?
        return try condition.withLock {
            while true {
                guard let snapshot, snapshot.generation == generation, !isShutDown else { throw CancellationError() }
                if let error = snapshot.error { throw EngineError.failed(error) }
                if let model = snapshot.model, let exact = snapshot.exact { return (model, exact) }
                if let current = snapshot.progress, current != lastProgress {
                    lastProgress = current
                    condition.unlock()
                    progress?(current)
                    condition.lock()
                    continue
                }
                condition.wait()
            }
        }
    }

    /// Applies and evaluates `plan` exactly, blocking the caller (the command line), with progress.
    ///
    /// - Throws: as `waitForExact`.
    public func evaluate(
        _ plan: QuantPlan, progress: ((EngineProgress) -> Void)? = nil
    ) throws -> (model: QuantizedModel, report: EvalReport) {
        try waitForExact(generation: submit(plan), progress: progress)
    }

    /// The float model's result, evaluating it now (on the caller's thread) if needed, with progress.
    public func floatReport(progress: ((EngineProgress) -> Void)? = nil) throws -> EvalReport {
        let start = now()
        let count = workbench.heldOut.count
        defer {
            // Timed when it really ran (a cached report returns at once): what an estimate's
            // first batch is sized by.
            let seconds = now() - start
            if count > 0, seconds > 0.001 {
                condition.withLock { secondsPerSample = seconds / Double(count) }
            }
        }
        return try workbench.floatReport(
            progress: { [self] fraction in
                progress?(
                    EngineProgress(
                        phase: .baseline, done: Int((fraction * Double(count)).rounded()), total: count,
                        elapsedSeconds: now() - start))
            },
            isCancelled: { [self] in condition.withLock { isShutDown } })
    }

    // MARK: Work

    private func apply(_ plan: QuantPlan, generation: Int) {
        guard condition.withLock({ generation == latestGeneration && !isShutDown }) else { return }
        condition.withLock { isApplying = true }
        defer { condition.withLock { isApplying = false } }
        do {
            if workbench.needsCalibration(for: plan) {
                // Activation statistics and bias-correction input means are gathered once
                // (seconds on a big model): with progress.
                let start = now()
                let total = workbench.calibration?.count ?? 0
                try workbench.calibrate(
                    for: plan,
                    progress: { [self] fraction in
                        let progress = EngineProgress(
                            phase: .calibrating, done: Int((fraction * Double(total)).rounded()), total: total,
                            elapsedSeconds: now() - start)
                        condition.withLock {
                            snapshot?.progress = progress
                            post(.progress(generation: generation, progress))
                        }
                    }, isCancelled: { [self] in condition.withLock { isShutDown } })
            }
            if workbench.needsLearnedRounding(for: plan) { try learnRoundings(for: plan, generation: generation) }
            let model = try workbench.apply(plan)
            let shouldStart: Bool = condition.withLock {
                guard generation == latestGeneration, !isShutDown else { return false }
                snapshot?.model = model
                post(.applied(generation: generation, model))
                pending = (model, generation)
                return startEvaluatingLocked()
            }
            if shouldStart { evaluateQueue.async { [self] in runEvaluations() } }
        } catch {
            condition.withLock {
                guard generation == latestGeneration else { return }
                snapshot?.error = "\(error)"
                post(.applyFailed(generation: generation, message: "\(error)"))
            }
        }
    }

    /// Learns the roundings `plan` asks for (seconds per layer), posting progress: sampling the
    /// layers' calibration inputs, then Adam steps; a newer plan or shutdown cancels (layers done
    /// stay cached).
    private func learnRoundings(for plan: QuantPlan, generation: Int) throws {
        let start = now()
        let images = workbench.calibration?.count ?? 0
        func report(_ progress: EngineProgress) {
            condition.withLock {
                snapshot?.progress = progress
                post(.progress(generation: generation, progress))
            }
        }
        try workbench.learnRoundings(
            for: plan,
            sampling: { [self] fraction in
                report(
                    EngineProgress(
                        phase: .calibrating, done: Int((fraction * Double(images)).rounded()), total: images,
                        elapsedSeconds: now() - start))
            },
            steps: { [self] done, total in
                report(
                    EngineProgress(phase: .learningRounding, done: done, total: total, elapsedSeconds: now() - start))
            },
            isCancelled: { [self] in condition.withLock { isShutDown || generation != latestGeneration } })
    }

    /// Marks the evaluation loop running; true when the caller must start it. Call under the lock.
    private func startEvaluatingLocked() -> Bool {
        guard !isEvaluating else { return false }
        isEvaluating = true
        return true
    }

    private func runEvaluations() {
        while true {
            enum Job {
                case float
                case plan(QuantizedModel, Int)
            }
            let job: Job? = condition.withLock {
                if isFloatRequested {
                    isFloatRequested = false
                    return .float
                }
                if let next = pending {
                    pending = nil
                    return .plan(next.model, next.generation)
                }
                isEvaluating = false
                condition.broadcast()
                return nil
            }
            switch job {
            case .float: runFloat()
            case .plan(let model, let generation): evaluate(model, generation: generation)
            case nil: return
            }
        }
    }

    private func runFloat() {
        do {
            let report = try floatReport(progress: { [self] progress in
                condition.withLock { post(.progress(generation: -1, progress)) }
            })
            condition.withLock { post(.floatEvaluated(report)) }
        } catch is CancellationError {
            return
        } catch {
            condition.withLock { post(.evaluationFailed(generation: -1, message: "float evaluation failed: \(error)")) }
        }
    }

    private func evaluate(_ model: QuantizedModel, generation: Int) {
        let isStale = { [self] in condition.withLock { latestGeneration != generation || isShutDown } }
        let heldOutCount = workbench.heldOut.count
        do {
            let (slow, perSample) = condition.withLock {
                (lastExactSeconds.map { $0 >= estimateThreshold } ?? true, secondsPerSample)
            }
            // An estimate runs its samples from the data; the exact run starts at the cached
            // boundary before the change. When that costs no more (a late layer changed), the
            // exact result comes sooner than an estimate would: skip it.
            let exactPasses = workbench.exactRerunShare(for: model) * Double(heldOutCount)
            if estimateSize > 0, estimateSize < heldOutCount, !model.isFloat, slow, exactPasses > Double(estimateSize) {
                // The first batch should take about `firstEstimateSeconds` on one worker.
                let threads = Double(max(workbench.threadCount, 1))
                let size = perSample.map { Int(firstEstimateSeconds / ($0 * threads)) } ?? workbench.batchSize / 4
                let batchSize = min(max(size, 1), workbench.batchSize, estimateSize)
                let start = now()
                let publish = { [self] (report: EvalReport) in
                    condition.withLock {
                        guard generation == latestGeneration else { return }
                        snapshot?.estimate = report
                        snapshot?.progress = EngineProgress(
                            phase: .estimating, done: report.count, total: estimateSize,
                            elapsedSeconds: now() - start)
                        post(.evaluated(generation: generation, report))
                        post(.progress(generation: generation, snapshot!.progress!))
                    }
                }
                let estimate = try workbench.progressiveEstimate(
                    model, sampleSize: estimateSize, batchSize: batchSize, onPartial: publish, isCancelled: isStale)
                publish(estimate)
            }
            let start = now()
            let exact = try workbench.evaluate(
                model,
                progress: { [self] fraction in
                    let progress = EngineProgress(
                        phase: .evaluating, done: Int((fraction * Double(heldOutCount)).rounded()),
                        total: heldOutCount, elapsedSeconds: now() - start)
                    condition.withLock {
                        guard generation == latestGeneration else { return }
                        snapshot?.progress = progress
                        post(.progress(generation: generation, progress))
                    }
                }, isCancelled: isStale)
            let seconds = now() - start
            condition.withLock {
                lastExactSeconds = seconds
                guard generation == latestGeneration else { return }
                snapshot?.exact = exact
                snapshot?.progress = nil
                post(.evaluated(generation: generation, exact))
            }
        } catch is CancellationError {
            return  // a newer plan took over
        } catch {
            condition.withLock {
                guard generation == latestGeneration else { return }
                snapshot?.error = "\(error)"
                snapshot?.progress = nil
                post(.evaluationFailed(generation: generation, message: "\(error)"))
            }
        }
    }

    /// Queues `events` for `drain()` (the background sensitivity's results), unless shut down.
    func publish(_ events: [EngineEvent]) {
        condition.withLock {
            guard !isShutDown else { return }
            for event in events { post(event) }
        }
    }

    /// Queues `event` and wakes whoever waits. Call under the lock.
    private func post(_ event: EngineEvent) {
        if collectsEvents { outbox.append(event) }
        condition.broadcast()
        if let wakeUp { DispatchQueue.global(qos: .userInteractive).async(execute: wakeUp) }
    }

    /// A monotonic clock in seconds.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// Why the engine could not produce a result.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// Applying or evaluating the plan failed; the message says why.
    case failed(String)

    public var description: String {
        switch self {
        case .failed(let message): message
        }
    }
}

import Foundation

/// Runs the dashboard's integer mode behind the engine: for a plan, lowers it to an
/// `IntegerModel`, runs that on the held-out set beside the fake-quantized model
/// (`Workbench.evaluateInteger`) and times it against the float model (`LatencyProfile`).
///
/// Everything happens on its own queue at utility priority. It starts only once the engine is
/// idle, and waits again before timing, so the timings are not taken while the engine's own
/// evaluation shares the CPU. A newer plan (or `cancel`) makes older work stale: it stops
/// between two batches or runs and its result is never posted. Results are collected for `drain()`.
public final class IntegerRunner: @unchecked Sendable {
    /// What integer mode found for one plan.
    public enum Outcome: Sendable, Equatable {
        /// The integer model ran: its held-out figures and its latency against float.
        case measured(IntegerEvaluation, LatencyProfile)
        /// The plan has no int8 form; one line saying which layer and why.
        case refused(String)
        /// Running it failed; one line.
        case failed(String)
    }

    /// The outcome for plan `generation`.
    public struct Result: Sendable, Equatable {
        public var generation: Int
        public var outcome: Outcome

        /// Creates a result.
        public init(generation: Int, outcome: Outcome) {
            self.generation = generation
            self.outcome = outcome
        }
    }

    private let engine: Engine
    private let runs: Int
    private let queue = DispatchQueue(label: "quantdash.integer", qos: .utility)
    private let lock = NSLock()
    private var outbox: [Result] = []
    /// The generation whose work is current; older work is stale (`Int.min`: none).
    private var current = Int.min

    /// A runner over `engine`'s workbench, timing `runs` runs after a warm-up.
    public init(engine: Engine, runs: Int = LatencyProfile.defaultRuns) {
        self.engine = engine
        self.runs = runs
    }

    /// Lowers, evaluates and times `plan` as generation `generation`, dropping older work.
    public func start(_ plan: QuantPlan, generation: Int) {
        lock.withLock { current = generation }
        queue.async { [self] in run(plan, generation: generation) }
    }

    /// Drops every running or queued piece of work.
    public func cancel() {
        lock.withLock { current = Int.min }
    }

    /// The results since the last call, oldest first.
    public func drain() -> [Result] {
        lock.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    /// Blocks until queued work is done (tests, quitting).
    public func waitUntilIdle() {
        queue.sync {}
    }

    private func isStale(_ generation: Int) -> Bool {
        lock.withLock { current != generation }
    }

    /// Waits while the engine has plan work; then whether `generation` went stale.
    private func yieldThenCheck(_ generation: Int) -> Bool {
        while engine.isBusy, !isStale(generation) { usleep(5_000) }
        return isStale(generation)
    }

    private func run(_ plan: QuantPlan, generation: Int) {
        let workbench = engine.workbench
        // What the graph and plan alone rule out is refused at once, without waiting for the engine.
        if let reason = workbench.integerRefusal(for: plan) { return post(.refused(reason), generation: generation) }
        guard !yieldThenCheck(generation) else { return }
        let outcome: Outcome
        do {
            let (quantized, integer) = try workbench.integerModel(for: plan)
            let stale = { [self] in isStale(generation) }
            let evaluation = try workbench.evaluateInteger(integer, quantized: quantized, isCancelled: stale)
            guard !yieldThenCheck(generation) else { return }
            outcome = .measured(evaluation, try workbench.latencyProfile(of: integer, runs: runs, isCancelled: stale))
        } catch let error as IntegerLoweringError {
            outcome = .refused(error.description)
        } catch is CancellationError {
            return
        } catch {
            outcome = .failed("\(error)")
        }
        post(outcome, generation: generation)
    }

    /// Collects `outcome` unless `generation` went stale.
    private func post(_ outcome: Outcome, generation: Int) {
        lock.withLock {
            guard current == generation else { return }
            outbox.append(Result(generation: generation, outcome: outcome))
        }
    }
}

import Foundation

/// What a background search has to say: its step, the best plan so far, the plans it verified.
public struct SearchStatus: Sendable, Equatable {
    /// One plan the search evaluated exactly on the validation split.
    public struct Point: Sendable, Equatable {
        /// The plan.
        public var plan: QuantPlan
        /// Its stored bytes.
        public var bytes: Int
        /// Its top-1 on the validation split.
        public var top1: Double
        /// Its change from float on the validation split, with the paired 95 % interval.
        public var delta: PairedDifference

        /// Creates a point.
        public init(plan: QuantPlan, bytes: Int, top1: Double, delta: PairedDifference) {
            self.plan = plan
            self.bytes = bytes
            self.top1 = top1
            self.delta = delta
        }
    }

    /// Which search (each start gets a new number).
    public var id: Int
    /// The goal.
    public var goal: SearchGoal
    /// What runs: `sensitivity 12/40 · fc2 at 4-bit`, `search · 14 plans verified`.
    public var step: String
    /// Fraction done of the sensitivity analysis, `nil` during the search proper.
    public var fraction: Double?
    /// Exact evaluations of the search so far.
    public var evaluations = 0
    /// The best plan meeting the goal so far (validation figures).
    public var best: Point?
    /// The best plan's top-1 on the whole held-out set and its Δ from float there, measured once
    /// the search ended (never used to choose).
    public var heldOut: (top1: Double, delta: PairedDifference)?
    /// Plans verified since the last status (for the Pareto pane).
    public var verified: [Point] = []
    /// Whether the search ended (finished, cancelled or failed).
    public var isFinished = false
    /// Whether it was cancelled.
    public var wasCancelled = false
    /// Why it failed.
    public var error: String?

    /// A status at `step` (nothing found yet).
    public init(id: Int, goal: SearchGoal, step: String, fraction: Double? = nil) {
        self.id = id
        self.goal = goal
        self.step = step
        self.fraction = fraction
    }

    public static func == (lhs: SearchStatus, rhs: SearchStatus) -> Bool {
        lhs.id == rhs.id && lhs.goal == rhs.goal && lhs.step == rhs.step && lhs.fraction == rhs.fraction
            && lhs.evaluations == rhs.evaluations && lhs.best == rhs.best && lhs.heldOut?.top1 == rhs.heldOut?.top1
            && lhs.heldOut?.delta == rhs.heldOut?.delta && lhs.verified == rhs.verified
            && lhs.isFinished == rhs.isFinished && lhs.wasCancelled == rhs.wasCancelled && lhs.error == rhs.error
    }
}

/// Runs the guided search (issue 14.4) behind the dashboard: per-layer sensitivity on the
/// validation split (the even-numbered held-out samples), then `PlanSearch`, on its own queue at
/// background priority and below the engine's plan work: before every graph node it waits
/// while `engine` is busy, so an edit's evaluation always goes first. Cancelling keeps the best
/// plan so far. The chosen plan's figure on the whole held-out set is measured once at the end,
/// separately from the validation figure the search chose by.
///
/// It has its own workbenches (the search's activation cache is not the engine's), made when a
/// search starts and released when it ends. Statuses are collected for `drain()`.
public final class SearchRunner: @unchecked Sendable {
    private let engine: Engine
    private let queue = DispatchQueue(label: "quantdash.search", qos: .background)
    private let lock = NSLock()
    private var outbox: [SearchStatus] = []
    private var cancelledIDs: Set<Int> = []
    private var runningID: Int?
    private var nextID = 0
    /// The menu searched over (default: 8, 6, 4, 3, 2 bits, each also 50 % pruned).
    public var menu = TuningMenu.search
    /// The most exact evaluations a search runs.
    public var maxEvaluations = 300

    /// A runner yielding to `engine` (whose workbench holds the model and data).
    public init(engine: Engine) {
        self.engine = engine
    }

    /// The statuses since the last call, oldest first.
    public func drain() -> [SearchStatus] {
        lock.withLock {
            defer { outbox.removeAll() }
            return outbox
        }
    }

    /// Whether a search is running.
    public var isRunning: Bool { lock.withLock { runningID != nil } }

    /// Starts a search for `goal` from `plan` (whose schemes the options keep), cancelling any
    /// running one; returns its id.
    @discardableResult
    public func start(_ goal: SearchGoal, plan: QuantPlan) -> Int {
        let id: Int = lock.withLock {
            if let runningID { cancelledIDs.insert(runningID) }
            nextID += 1
            runningID = nextID
            return nextID
        }
        queue.async { [self] in run(id: id, goal: goal, plan: plan) }
        return id
    }

    /// Cancels search `id` (or the running one); its best plan so far stays in its last status.
    public func cancel(_ id: Int? = nil) {
        lock.withLock {
            if let id = id ?? runningID { cancelledIDs.insert(id) }
        }
    }

    /// Blocks until no search runs (tests, quitting).
    public func waitUntilIdle() { queue.sync {} }

    private func isCancelled(_ id: Int) -> Bool { lock.withLock { cancelledIDs.contains(id) } }

    /// Waits while the engine has plan work, then says whether search `id` was cancelled.
    private func yieldThenCheck(_ id: Int) -> Bool {
        while engine.isBusy, !isCancelled(id) { usleep(5_000) }
        return isCancelled(id)
    }

    private func post(_ status: SearchStatus) { lock.withLock { outbox.append(status) } }

    private func run(id: Int, goal: SearchGoal, plan: QuantPlan) {
        var status = SearchStatus(id: id, goal: goal, step: "preparing the validation split", fraction: 0)
        defer {
            lock.withLock {
                if runningID == id { runningID = nil }
                cancelledIDs.remove(id)
            }
        }
        guard !isCancelled(id) else {
            status.isFinished = true
            status.wasCancelled = true
            return post(status)
        }
        post(status)
        let main = engine.workbench
        let checkCancelled = { [self] in yieldThenCheck(id) }
        do {
            let full = main.heldOut
            guard full.count >= 2 else { throw TuningError.invalidGoal("the held-out set is too small to split") }
            let even = Array(stride(from: 0, to: full.count, by: 2))
            let validation = try Workbench(
                graph: main.graph, heldOut: full.picking(even, name: full.name), calibration: main.calibration)
            validation.batchSize = main.batchSize
            let sensitivity = Sensitivity(
                workbench: validation, modelSHA256: "dashboard", dataSHA256: "validation even-numbered")
            let table = try sensitivity.run(
                menu: try menu.validated().options, plan: plan,
                progress: { [self] step in
                    status.step = step.summary
                    status.fraction = Double(step.done) / Double(max(step.total, 1))
                    post(status)
                }, isCancelled: checkCancelled)
            let floatCorrect = try sensitivity.evaluate(QuantPlan()).correct
            let search = try PlanSearch(sensitivity: sensitivity, table: table)
            search.maxEvaluations = maxEvaluations
            status.fraction = nil
            func point(_ candidate: SearchCandidate) -> SearchStatus.Point {
                SearchStatus.Point(
                    plan: candidate.plan, bytes: candidate.evaluation.bytes, top1: candidate.evaluation.top1,
                    delta: PairedDifference(baseline: floatCorrect, candidate: candidate.evaluation.correct))
            }
            let result = try search.run(
                goal,
                progress: { [self] step in
                    status.evaluations = step.evaluations
                    status.step = "search · \(step.evaluations) plans verified (\(step.step))"
                    status.best = step.best.map(point)
                    status.verified = step.latest.map { [point($0)] } ?? []
                    post(status)
                    status.verified = []
                }, isCancelled: checkCancelled)
            status.best = result.best.map(point)
            status.wasCancelled = result.wasCancelled
            status.step =
                result.wasCancelled
                ? "cancelled after \(result.evaluations) plans" : "done: \(result.evaluations) plans verified"
            if let best = result.best, !result.wasCancelled {
                status.step += " · measuring the held-out figure"
                post(status)
                status.heldOut = try heldOutFigure(best.plan, id: id)
                status.step = "done: \(result.evaluations) plans verified"
            }
        } catch is CancellationError {
            status.wasCancelled = true
            status.step = "cancelled"
        } catch {
            status.error = "\(error)"
            status.step = "failed"
        }
        status.isFinished = true
        post(status)
    }

    /// The plan's top-1 on the whole held-out set and its paired Δ from float there.
    private func heldOutFigure(_ plan: QuantPlan, id: Int) throws -> (top1: Double, delta: PairedDifference) {
        let main = engine.workbench
        let workbench = try Workbench(graph: main.graph, heldOut: main.heldOut, calibration: main.calibration)
        workbench.batchSize = main.batchSize
        let sensitivity = Sensitivity(workbench: workbench, modelSHA256: "dashboard", dataSHA256: "held-out")
        let checkCancelled = { [self] in yieldThenCheck(id) }
        let float = try sensitivity.evaluate(QuantPlan(), isCancelled: checkCancelled)
        let chosen = try sensitivity.evaluate(plan, isCancelled: checkCancelled)
        return (chosen.top1, PairedDifference(baseline: float.correct, candidate: chosen.correct))
    }
}

import Foundation

extension Engine {
    /// Starts the background sensitivity analysis (issue 14) on `sensitivity`, which must have a
    /// workbench of its own (its activation cache is not shared with the engine's). From then on
    /// every submitted plan is analysed at the lowest priority: results come out as
    /// `EngineEvent.sensitivity` events, layer by layer.
    ///
    /// Plan work always goes first: before each evaluation the analysis waits until the engine
    /// is idle, and an evaluation running when a plan comes in is cancelled between two graph
    /// nodes and run again later. A newer plan makes the running analysis stale; finished
    /// evaluations stay cached in `sensitivity`, so only-this-layer results (which do not depend
    /// on the plan beyond the layer's scheme) come back at once and only the plan-dependent
    /// part is measured again.
    public func startSensitivity(_ sensitivity: Sensitivity, menu: [TuningOption] = TuningMenu.standard.options) {
        let worker = SensitivityWorker(engine: self, sensitivity: sensitivity, menu: menu)
        sensitivityWorker = worker
        if let latest { worker.planChanged(latest.plan, generation: latest.generation) }
    }

    /// Blocks until the background sensitivity analysis has nothing left to do (tests).
    public func waitUntilSensitivityIdle() {
        sensitivityWorker?.waitUntilIdle()
    }
}

/// The background sensitivity analysis of the latest plan (see `Engine.startSensitivity`).
final class SensitivityWorker: @unchecked Sendable {
    /// Weak: a worker still running when its engine goes away stops at its next step.
    private weak var engine: Engine?
    private let sensitivity: Sensitivity
    private let menu: [TuningOption]
    private let queue = DispatchQueue(label: "quantdash.engine.sensitivity", qos: .background)
    private let condition = NSCondition()
    /// The plan to analyse next (a newer one than the running analysis's, when set).
    private var target: (plan: QuantPlan, generation: Int)?
    private var isRunning = false
    private var isShutDown = false

    init(engine: Engine, sensitivity: Sensitivity, menu: [TuningOption]) {
        self.engine = engine
        self.sensitivity = sensitivity
        self.menu = menu
    }

    /// Makes `plan` the one to analyse, superseding the running analysis.
    func planChanged(_ plan: QuantPlan, generation: Int) {
        let shouldStart: Bool = condition.withLock {
            guard !isShutDown else { return false }
            target = (plan, generation)
            guard !isRunning else { return false }
            isRunning = true
            return true
        }
        if shouldStart { queue.async { [self] in run() } }
    }

    /// Stops the analysis (between two graph nodes) and accepts no more plans.
    func shutDown() {
        condition.withLock {
            isShutDown = true
            target = nil
            condition.broadcast()
        }
    }

    /// Blocks until no analysis runs or waits.
    func waitUntilIdle() {
        condition.withLock {
            while isRunning { condition.wait() }
        }
    }

    private var isStale: Bool { condition.withLock { target != nil || isShutDown } || engine == nil }

    private func publish(_ event: SensitivityEvent) {
        engine?.publish([.sensitivity(event)])
    }

    private func run() {
        while true {
            let next: (plan: QuantPlan, generation: Int)? = condition.withLock {
                guard !isShutDown, let next = target else {
                    isRunning = false
                    condition.broadcast()
                    return nil
                }
                target = nil
                return next
            }
            guard let next else { return }
            do {
                try analyse(next.plan, generation: next.generation)
            } catch is CancellationError {
                continue
            } catch {
                publish(.failed(generation: next.generation, message: "\(error)"))
            }
        }
    }

    /// `plan` evaluated exactly (cached), after any plan work, again when plan work interrupts it.
    /// A cached result (measured earlier or restored from a preset) comes back at once, even
    /// while plan work runs.
    private func measure(_ plan: QuantPlan) throws -> PlanEvaluation {
        if let cached = sensitivity.cached(plan) { return cached }
        while true {
            engine?.waitUntilIdle()
            if isStale { throw CancellationError() }
            do {
                return try sensitivity.evaluate(plan, isCancelled: { [self] in isStale || engine?.isBusy ?? true })
            } catch is CancellationError {
                if isStale { throw CancellationError() }
            }
        }
    }

    private func analyse(_ plan: QuantPlan, generation: Int) throws {
        let workbench = sensitivity.workbench
        let layers = workbench.layers
        // Restored from a preset: show it at once; otherwise plan work goes first.
        if sensitivity.cached(QuantPlan()) == nil { engine?.waitUntilIdle() }
        if isStale { throw CancellationError() }
        var health: [String: Double] = [:]
        for layer in layers where !plan.settings(for: layer.name).isFloat {
            let report = try workbench.layerReport(for: layer.name, settings: plan.settings(for: layer.name))
            health[layer.name] = LayerHealth.rmseOverScale(report)
        }
        publish(.health(generation: generation, health))
        try workbench.checkSharedWeights(plan)
        let floatEvaluation = try measure(QuantPlan())
        let floatCorrect = floatEvaluation.correct
        func figure(_ evaluation: PlanEvaluation) -> SensitivityTable.Figure {
            SensitivityTable.Figure(evaluation, floatCorrect: floatCorrect)
        }
        // Only this layer: last layer first, so each run starts at its own layer's boundary.
        for layer in layers.reversed() {
            var entries: [SensitivityTable.Entry] = []
            var settingsList: [LayerSettings] = []
            for option in menu {
                let settings = sensitivity.settings(option, layer: layer.name, plan: plan)
                let evaluation = try measure(sensitivity.plan(QuantPlan(), setting: layer.name, to: settings))
                let report = try workbench.layerReport(for: layer.name, settings: settings)
                entries.append(
                    SensitivityTable.Entry(
                        option: option, settings: Workbench.brief(settings), layerBytes: report.size.quantizedBytes,
                        rmseOverScale: LayerHealth.rmseOverScale(report), figure: figure(evaluation)))
                settingsList.append(settings)
            }
            publish(.onlyThis(layer: layer.name, entries: entries, settings: settingsList))
        }
        let current = try measure(plan)
        let (weightsOnly, activationsOnly) = try diagnosis(plan)
        publish(
            .plan(
                generation: generation, float: figure(floatEvaluation), current: figure(current),
                weightsOnly: weightsOnly.map(figure), activationsOnly: activationsOnly.map(figure)))
        // All but this one: every other layer as planned, this one float.
        for layer in layers.reversed() {
            let without = try measure(sensitivity.plan(plan, setting: layer.name, to: .float))
            publish(
                .allButThis(
                    generation: generation, layer: layer.name, figure: figure(without),
                    versusPlan: PairedDifference(baseline: current.correct, candidate: without.correct)))
        }
    }

    /// The plan with its weight settings only and with its activation settings only, when it
    /// has both kinds (otherwise the plan itself says where its drop comes from).
    private func diagnosis(_ plan: QuantPlan) throws -> (PlanEvaluation?, PlanEvaluation?) {
        let names = sensitivity.workbench.layerNames
        let hasActivations = names.contains { plan.settings(for: $0).activationBits != nil }
        let hasWeights = names.contains { !plan.settings(for: $0).isFloat }
        guard hasActivations, hasWeights else { return (nil, nil) }
        var weightsOnly = plan
        var activationsOnly = plan
        for name in names {
            var weights = plan.settings(for: name)
            weights.activationBits = nil
            weightsOnly.layers[name] = weights
            var activations = plan.settings(for: name)
            activations.bitWidth = nil
            activations.pruning = nil
            activationsOnly.layers[name] = activations
        }
        return (try measure(weightsOnly), try measure(activationsOnly))
    }
}

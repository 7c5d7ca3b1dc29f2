import Foundation

/// One plan's exact figures on a workbench's held-out samples, as guided tuning keeps them.
public struct PlanEvaluation: Sendable, Equatable {
    /// Per sample, whether top-1 is right.
    public var correct: [Bool]
    /// Samples right.
    public var correctCount: Int
    /// Share of predictions equal to the float model's.
    public var agreement: Double
    /// The model's stored size in bytes.
    public var bytes: Int

    /// Top-1 as a fraction.
    public var top1: Double { correct.isEmpty ? 0 : Double(correctCount) / Double(correct.count) }
}

/// Progress of a sensitivity analysis: evaluations done of all, and what runs now.
public struct SensitivityProgress: Sendable, Equatable {
    /// Evaluations finished (from the cache or run).
    public var done: Int
    /// Evaluations in all.
    public var total: Int
    /// What was just measured: `fc2 at 4-bit`, `all but fc2`.
    public var current: String
    /// Seconds since the analysis started.
    public var elapsedSeconds: Double
    /// Fraction of the running evaluation done (its samples), while one runs; `nil` between evaluations.
    public var running: Double? = nil
    /// The work finished (in whole float passes: an evaluation re-running the last half of the
    /// graph counts one half), the running evaluation's share included; 0 when not known.
    public var workDone: Double = 0
    /// The work of the whole analysis, in whole float passes; 0 when not known.
    public var workTotal: Double = 0

    /// `sensitivity 12/40 · fc2 at 4-bit · 3 s left`, or while an evaluation runs
    /// `sensitivity 12/40 · float 40 % · 9 s left`.
    public var summary: String {
        var line = "sensitivity \(done)/\(total) · \(current)"
        if let running { line += " \(Int((running * 100).rounded(.down))) %" }
        // Weighed by work when known: later evaluations (earlier layers) re-run more of the graph.
        let (finished, all) =
            workTotal > 0 ? (workDone, workTotal) : (Double(done) + (running ?? 0), Double(total))
        if finished > 0, done < total {
            let left = elapsedSeconds / finished * max(all - finished, 0)
            line += " · \(Int(left.rounded(.up))) s left"
        }
        return line
    }
}

/// Per-layer sensitivity on a workbench's held-out set (issue 14): every plan evaluated exactly,
/// incrementally (the workbench's activation cache re-runs only the graph after the changed
/// layer, and layers are visited last to first so each run starts at its own layer), and
/// cached by (model digest, data digest, every non-float layer's settings) so repeating an
/// analysis, a search's verification or a later analysis after a plan change reuses every result.
///
/// Not for use at the same time as another client of the same workbench (the activation cache
/// is shared); give the dashboard's background analysis its own workbench.
public final class Sensitivity: @unchecked Sendable {
    /// The workbench whose held-out set is analysed.
    public let workbench: Workbench
    /// SHA-256 of the model file.
    public let modelSHA256: String
    /// SHA-256 identifying the samples.
    public let dataSHA256: String

    /// A plan as the cache knows it: the digests and every layer whose settings are not plain float.
    struct Key: Hashable {
        var model: String
        var data: String
        var layers: [String: LayerSettings]
    }

    private let lock = NSLock()
    private var cache: [Key: PlanEvaluation] = [:]
    /// Exact evaluations run (not from the cache), for tests and benchmarks.
    public private(set) var evaluationsRun = 0

    /// Analyses `workbench`'s held-out set for the model and data with these digests.
    public init(workbench: Workbench, modelSHA256: String, dataSHA256: String) {
        self.workbench = workbench
        self.modelSHA256 = modelSHA256
        self.dataSHA256 = dataSHA256
    }

    /// Cached evaluations.
    public var cachedCount: Int { lock.withLock { cache.count } }

    func key(_ plan: QuantPlan) -> Key {
        var layers: [String: LayerSettings] = [:]
        for name in workbench.layerNames {
            let settings = plan.settings(for: name)
            if settings != .float { layers[name] = settings }
        }
        return Key(model: modelSHA256, data: dataSHA256, layers: layers)
    }

    /// `plan`'s evaluation if it is cached (measured or restored), without measuring it.
    public func cached(_ plan: QuantPlan) -> PlanEvaluation? {
        let key = key(plan)
        return lock.withLock { cache[key] }
    }

    /// Every cached evaluation, by the settings of its non-float layers (`SavedSensitivity`).
    func cachedEvaluations() -> [(layers: [String: LayerSettings], evaluation: PlanEvaluation)] {
        lock.withLock { cache.map { ($0.key.layers, $0.value) } }
    }

    /// Adds evaluations measured earlier on this model and data (`SavedSensitivity`).
    func insertCached(_ evaluations: [[String: LayerSettings]: PlanEvaluation]) {
        lock.withLock {
            for (layers, evaluation) in evaluations {
                cache[Key(model: modelSHA256, data: dataSHA256, layers: layers)] = evaluation
            }
        }
    }

    /// `plan` evaluated exactly on the held-out set (cached).
    ///
    /// - Throws: `CancellationError`; `PlanError`, `QuantizationError`, `GraphError` from the workbench.
    ///
    /// - Parameter progress: fraction of the held-out samples done, after each batch (the float
    ///   baseline's first, when it is not computed yet).
    public func evaluate(
        _ plan: QuantPlan, progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> PlanEvaluation {
        let key = key(plan)
        if let cached = lock.withLock({ cache[key] }) { return cached }
        if isCancelled() { throw CancellationError() }
        let model = try workbench.apply(plan)
        if model.isFloat { _ = try workbench.floatReport(progress: progress, isCancelled: isCancelled) }
        let report = try workbench.evaluate(model, progress: model.isFloat ? nil : progress, isCancelled: isCancelled)
        let labels = workbench.heldOut.labels
        let correct = zip(report.predictions, labels).map { $0 == $1 }
        let evaluation = PlanEvaluation(
            correct: correct, correctCount: report.correctCount, agreement: report.agreement ?? 1,
            bytes: model.size.currentBytes)
        lock.withLock {
            cache[key] = evaluation
            evaluationsRun += 1
        }
        return evaluation
    }

    /// The layers that read the same weight initializer as `name` (including it): they must
    /// change together (`Workbench.checkSharedWeights`).
    func weightGroup(of name: String) -> [String] {
        guard let weight = workbench.layer(named: name)?.weightName else { return [name] }
        return workbench.layers.filter { $0.weightName == weight }.map(\.name)
    }

    /// `plan` with `name` (and the layers sharing its weight) at `settings`.
    public func plan(_ plan: QuantPlan, setting name: String, to settings: LayerSettings) -> QuantPlan {
        var changed = plan
        for member in weightGroup(of: name) { changed.layers[member] = settings }
        return changed
    }

    /// The settings `option` gives layer `name` under `plan`.
    public func settings(_ option: TuningOption, layer name: String, plan: QuantPlan) -> LayerSettings {
        option == .float ? .float : option.settings(base: plan.settings(for: name))
    }

    /// Runs the analysis.
    ///
    /// - Parameters:
    ///   - menu: the options measured per layer.
    ///   - plan: the current plan (the layers' schemes, and the "all but this one" context).
    ///   - shard: analyse only this shard's layers (`nil`: all).
    ///   - progress: after each evaluation (cached ones too).
    ///   - isCancelled: checked before each evaluation and between graph nodes; results finished
    ///     before a cancellation stay cached, so running again continues where it stopped.
    /// - Throws: `CancellationError`; errors of `evaluate(_:)`.
    public func run(
        menu: [TuningOption], plan: QuantPlan, shard: SensitivityTable.Shard? = nil,
        progress: ((SensitivityProgress) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> SensitivityTable {
        try workbench.checkSharedWeights(plan)
        let start = Date()
        let chosen = workbench.layers.enumerated().filter { shard?.contains(layer: $0.offset) ?? true }.map(\.element)
        let isFloatPlan = key(plan).layers.isEmpty
        let total = 2 + chosen.count * (menu.count + (isFloatPlan ? 0 : 1))
        var done = 0
        // Work in float passes: each evaluation re-runs the graph from its changed layer on.
        let shares = progress == nil ? [:] : ((try? workbench.rerunShares()) ?? [:])
        func share(_ name: String) -> Double { shares[name] ?? 1 }
        let firstChanged = workbench.layers.first { plan.settings(for: $0.name) != .float }?.name
        let workTotal =
            shares.isEmpty
            ? 0
            : 1 + (firstChanged.map(share) ?? 0)
                + chosen.reduce(0) {
                    $0 + share($1.name) * Double(menu.count) + (isFloatPlan ? 0 : share($1.name))
                }
        var workDone = 0.0
        func step(_ what: String, work: Double) {
            done += 1
            workDone += work
            progress?(
                SensitivityProgress(
                    done: done, total: total, current: what, elapsedSeconds: Date().timeIntervalSince(start),
                    workDone: workDone, workTotal: workTotal))
        }
        // Within one evaluation (a float baseline of a big model takes minutes): its samples done.
        func running(_ what: String, work: Double) -> ((Double) -> Void)? {
            guard let progress else { return nil }
            return { fraction in
                progress(
                    SensitivityProgress(
                        done: done, total: total, current: what, elapsedSeconds: Date().timeIntervalSince(start),
                        running: fraction, workDone: workDone + fraction * work, workTotal: workTotal))
            }
        }
        let floatEvaluation = try evaluate(
            QuantPlan(), progress: running("float", work: 1), isCancelled: isCancelled)
        step("float", work: 1)
        let floatCorrect = floatEvaluation.correct
        // Only this layer: last layer first, so every run starts at its own layer's boundary.
        var entries: [String: [SensitivityTable.Entry]] = [:]
        for layer in chosen.reversed() {
            for option in menu {
                let settings = settings(option, layer: layer.name, plan: plan)
                let evaluation = try evaluate(
                    self.plan(QuantPlan(), setting: layer.name, to: settings),
                    progress: running("\(layer.name) at \(option)", work: share(layer.name)),
                    isCancelled: isCancelled)
                let report = try workbench.layerReport(for: layer.name, settings: settings)
                entries[layer.name, default: []].append(
                    SensitivityTable.Entry(
                        option: option, settings: Workbench.brief(settings), layerBytes: report.size.quantizedBytes,
                        rmseOverScale: LayerHealth.rmseOverScale(report),
                        figure: .init(evaluation, floatCorrect: floatCorrect)))
                step("\(layer.name) at \(option)", work: share(layer.name))
            }
        }
        // All but this one: the plan first (its boundaries fill the cache), then last to first.
        let planWork = firstChanged.map(share) ?? 0
        let current = try evaluate(
            plan, progress: running("current plan", work: planWork), isCancelled: isCancelled)
        step("current plan", work: planWork)
        var rows: [SensitivityTable.Row] = []
        for layer in chosen.reversed() {
            let without =
                isFloatPlan
                ? floatEvaluation
                : try evaluate(
                    self.plan(plan, setting: layer.name, to: .float),
                    progress: running("all but \(layer.name)", work: share(layer.name)), isCancelled: isCancelled)
            if !isFloatPlan { step("all but \(layer.name)", work: share(layer.name)) }
            let report = try workbench.layerReport(for: layer.name, settings: plan.settings(for: layer.name))
            let health = LayerHealth.rmseOverScale(report)
            rows.append(
                SensitivityTable.Row(
                    name: layer.name, parameters: layer.weightCount + layer.biasCount,
                    floatBytes: report.size.floatBytes,
                    rmseOverScale: health, isSuspect: LayerHealth.isSuspect(health),
                    options: entries[layer.name] ?? [], allButThis: .init(without, floatCorrect: floatCorrect),
                    allButThisVersusPlan: PairedDifference(baseline: current.correct, candidate: without.correct)))
        }
        return SensitivityTable(
            modelSHA256: modelSHA256, dataSHA256: dataSHA256, sampleCount: workbench.heldOut.count, menu: menu,
            plan: plan.normalized(for: workbench.layers), float: .init(floatEvaluation, floatCorrect: floatCorrect),
            current: .init(current, floatCorrect: floatCorrect), modelLayers: workbench.layerNames, shard: shard,
            layers: rows.reversed())
    }
}

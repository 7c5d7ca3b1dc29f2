import Foundation
import QuantCore

/// What the background sensitivity analysis reported (issue 14), folded in from
/// `SensitivityEvent`s. Only-this-layer results are kept across plan changes and shown while
/// the layer's scheme still gives the same settings; everything else belongs to one plan
/// generation and is dropped when a result for a newer plan comes in.
public struct SensitivityState: Sendable, Equatable {
    /// One layer alone at each menu option.
    public struct OnlyThis: Sendable, Equatable {
        /// In menu order.
        public var entries: [SensitivityTable.Entry]
        /// The settings each option gave the layer (to tell whether they still hold).
        public var settings: [LayerSettings]
    }

    /// Every other layer as planned, this one float.
    public struct AllButThis: Sendable, Equatable {
        /// Against float.
        public var figure: SensitivityTable.Figure
        /// Against the plan: what quantizing this layer as planned costs.
        public var versusPlan: PairedDifference
    }

    /// The plan's own figures and where its drop comes from.
    public struct PlanFigures: Sendable, Equatable {
        /// The plan.
        public var current: SensitivityTable.Figure
        /// Its weight settings only (`nil`: the plan has no activation quantization or no weight change).
        public var weightsOnly: SensitivityTable.Figure?
        /// Its activation settings only.
        public var activationsOnly: SensitivityTable.Figure?
    }

    /// Whether an analysis runs in this session.
    public var isEnabled = false
    /// The options measured per layer.
    public var menu: [TuningOption] = []
    /// Only-this-layer results by layer name.
    public var onlyThis: [String: OnlyThis] = [:]
    /// The plan generation `allButThis`, `plan` and `error` belong to.
    public var generation = -1
    /// All-but-this-one results by layer name, for `generation`.
    public var allButThis: [String: AllButThis] = [:]
    /// The plan's figures, for `generation`.
    public var plan: PlanFigures?
    /// Why the analysis of `generation` stopped.
    public var error: String?
    /// RMSE/scale per affine layer at the plan of `healthGeneration`.
    public var health: [String: Double] = [:]
    /// The plan generation `health` belongs to.
    public var healthGeneration = -1

    /// Creates an empty state (no analysis).
    public init() {}

    /// Folds in `event`; results for plans older than `currentGeneration` are dropped.
    mutating func fold(_ event: SensitivityEvent, currentGeneration: Int) {
        switch event {
        case .onlyThis(let layer, let entries, let settings):
            onlyThis[layer] = OnlyThis(entries: entries, settings: settings)
        case .health(let generation, let health):
            guard generation == currentGeneration else { return }
            self.health = health
            healthGeneration = generation
        case .plan(let generation, _, let current, let weightsOnly, let activationsOnly):
            guard follow(generation, currentGeneration) else { return }
            plan = PlanFigures(current: current, weightsOnly: weightsOnly, activationsOnly: activationsOnly)
        case .allButThis(let generation, let layer, let figure, let versusPlan):
            guard follow(generation, currentGeneration) else { return }
            allButThis[layer] = AllButThis(figure: figure, versusPlan: versusPlan)
        case .failed(let generation, let message):
            guard follow(generation, currentGeneration) else { return }
            error = message
        }
    }

    /// Moves to `generation` (dropping the older plan's results); false for a stale result.
    private mutating func follow(_ generation: Int, _ currentGeneration: Int) -> Bool {
        guard generation == currentGeneration else { return false }
        if generation != self.generation {
            self.generation = generation
            allButThis = [:]
            plan = nil
            error = nil
        }
        return true
    }

    /// The only-this-layer entries of `layer`, if they hold for its settings in `plan`.
    public func entries(for layer: String, plan: QuantPlan) -> [SensitivityTable.Entry]? {
        guard let row = onlyThis[layer] else { return nil }
        let base = plan.settings(for: layer)
        let settings = menu.map { $0 == .float ? LayerSettings.float : $0.settings(base: base) }
        return settings == row.settings ? row.entries : nil
    }

    /// RMSE/scale of `layer` at the plan of `generation`: `.some(nil)` for a layer without one
    /// (float or not affine), `nil` while unknown.
    public func health(of layer: String, generation: Int, plan: QuantPlan) -> Double?? {
        guard healthGeneration == generation else { return nil }
        if plan.settings(for: layer).isFloat { return .some(nil) }
        return .some(health[layer])
    }

    /// Layers whose only-this-layer and all-but-this-one results are in for the plan of `generation`.
    public func layersDone(_ layers: [String], plan: QuantPlan, generation: Int) -> Int {
        layers.filter {
            entries(for: $0, plan: plan) != nil && self.generation == generation && allButThis[$0] != nil
        }.count
    }

    /// `sensitivity 12/54 layers` while the analysis of the plan of `generation` runs, else `nil`.
    public func progress(_ layers: [String], plan: QuantPlan, generation: Int) -> String? {
        guard isEnabled, !layers.isEmpty else { return nil }
        if self.generation == generation, let error { return "sensitivity failed: \(error)" }
        let done = layersDone(layers, plan: plan, generation: generation)
        return done < layers.count ? "sensitivity \(done)/\(layers.count) layers" : nil
    }

    /// The one-line weight-only vs activation-only diagnosis for the plan of `generation`.
    public func diagnosis(generation: Int, plan current: QuantPlan) -> String? {
        guard self.generation == generation, let plan, current.layers.values.contains(where: { $0 != .float })
        else { return nil }
        guard let weights = plan.weightsOnly, let activations = plan.activationsOnly else {
            return "plan \(Self.points(plan.current.deltaPoints)) vs float"
        }
        let bigger = weights.deltaPoints <= activations.deltaPoints ? "weights" : "activations"
        let lead = min(weights.deltaPoints, activations.deltaPoints) < 0 ? "drop mostly from \(bigger)" : "no drop"
        return "\(lead): \(Self.points(weights.deltaPoints)) weights only, "
            + "\(Self.points(activations.deltaPoints)) activations only"
    }

    /// `−3.1 pt`, `+0.2 pt`.
    static func points(_ value: Double) -> String { signed(value) + " pt" }

    /// `−3.1`, `+0.2` (a true minus sign).
    static func signed(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return String(format: "%+.1f", rounded == 0 ? 0 : rounded).replacingOccurrences(of: "-", with: "−")
    }

    /// The compact figure of the layer table: Δ top-1 (points) with only this layer at 4 bits
    /// (the menu's middle option when it has no 4 bits).
    static func compactFigure(_ entries: [SensitivityTable.Entry]) -> String {
        let unpruned = entries.filter { $0.option.sparsity == nil }
        guard let entry = unpruned.first(where: { $0.option.bits == 4 }) ?? unpruned.dropFirst(unpruned.count / 2).first
        else { return "…" }
        return signed(entry.figure.deltaPoints)
    }
}

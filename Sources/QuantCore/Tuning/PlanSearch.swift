import Foundation

/// What a search optimizes.
public enum SearchGoal: Sendable, Equatable {
    /// The smallest plan whose top-1 is at most this many points below float.
    case maxDrop(points: Double)
    /// The most accurate plan of at most this many bytes.
    case targetBytes(Int)
}

/// One plan a search evaluated exactly: a choice of option per layer.
public struct SearchCandidate: Sendable, Equatable {
    /// The option of each layer, in the table's layer order.
    public var choices: [TuningOption]
    /// The plan.
    public var plan: QuantPlan
    /// Its exact figures on the search's samples.
    public var evaluation: PlanEvaluation
}

/// Progress of a search: exact evaluations so far and the best plan so far.
public struct SearchProgress: Sendable {
    /// Exact evaluations so far.
    public var evaluations: Int
    /// The best plan meeting the goal so far, if any.
    public var best: SearchCandidate?
    /// The step running: `proposals`, `refining`.
    public var step: String
    /// The plan just evaluated (whether or not it meets the goal), for callers that chart them.
    public var latest: SearchCandidate? = nil
}

/// Guided search (issue 14): proposes plans from a sensitivity table, assuming a layer's Δ
/// adds up across layers, verifies proposals exactly and refines locally.
///
/// 1. Per layer the options are float and every menu option, each with its measured drop (in
///    samples, from the table) and its exact bytes.
/// 2. Proposals: the Lagrangian relaxation `min Σ bytes + λ · Σ drop`, solved per layer for
///    every λ at which some layer's choice changes, gives the lower convex hull of predicted
///    (size, drop); the hull plans that meet the goal as predicted, best first, and the uniform
///    plans (every layer at one option) predicted to meet it are evaluated exactly.
/// 3. Refinement: from the best verified plan, single-layer moves (and for a size goal, pairs
///    of one upgrade and one downgrade) ranked by predicted gain are evaluated exactly, the best
///    one meeting the goal is taken, until none helps or `maxEvaluations` is reached.
///
/// Every evaluation goes through `Sensitivity.evaluate` (cached), so the best plan so far is
/// always known, and a cancelled search still returns it.
public final class PlanSearch: @unchecked Sendable {
    /// The most plans `exhaustive` enumerates.
    public static let exhaustiveLimit = 1_000_000

    /// The evaluator (on the search's samples, e.g. the validation split).
    public let sensitivity: Sensitivity
    /// The analysis the proposals come from (same samples).
    public let table: SensitivityTable
    /// The plan whose schemes the options keep (the table's plan).
    public let basePlan: QuantPlan
    /// The most exact evaluations a search runs.
    public var maxEvaluations = 300

    /// The layers searched over, in graph order.
    public let layers: [String]
    /// Per layer, its options: float first, then the table's entries.
    public let options: [[TuningOption]]
    /// Per layer and option, the layer's stored bytes.
    public let bytes: [[Int]]
    /// Per layer and option, the measured drop in correct samples (negative: a gain).
    public let drops: [[Int]]
    /// Bytes of everything that is not a searched layer.
    public let otherBytes: Int

    /// Prepares a search over the layers of `table` (which must cover every layer).
    ///
    /// - Throws: `TuningError.incompatibleTable` when the table lacks layers or was made on
    ///   other samples or another model.
    public init(sensitivity: Sensitivity, table: SensitivityTable) throws {
        if !table.missingLayers.isEmpty {
            throw TuningError.incompatibleTable(
                file: "",
                problem:
                    "the sensitivity table lacks layers \(table.missingLayers.prefix(5).map { Printable.name($0) }.joined(separator: ", ")) (merge every shard first)"
            )
        }
        guard table.modelSHA256 == sensitivity.modelSHA256, table.dataSHA256 == sensitivity.dataSHA256,
            table.sampleCount == sensitivity.workbench.heldOut.count
        else {
            throw TuningError.incompatibleTable(
                file: "", problem: "the sensitivity table was made for another model or other samples")
        }
        self.sensitivity = sensitivity
        self.table = table
        self.basePlan = table.plan
        layers = table.layers.map(\.name)
        var options: [[TuningOption]] = []
        var bytes: [[Int]] = []
        var drops: [[Int]] = []
        let floatCorrect = table.float.correctCount
        for row in table.layers {
            options.append([.float] + row.options.map(\.option))
            bytes.append([row.floatBytes] + row.options.map(\.layerBytes))
            drops.append([0] + row.options.map { floatCorrect - $0.figure.correctCount })
        }
        self.options = options
        self.bytes = bytes
        self.drops = drops
        otherBytes = table.float.bytes - table.layers.reduce(0) { $0 + $1.floatBytes }
    }

    /// The plan choosing `choice[i]` (an index into `options[i]`) for each layer.
    public func plan(_ choice: [Int]) -> QuantPlan {
        var plan = QuantPlan(defaults: .float)
        for (index, name) in layers.enumerated() {
            let settings = sensitivity.settings(options[index][choice[index]], layer: name, plan: basePlan)
            plan.layers[name] = settings
        }
        return plan
    }

    /// Predicted bytes of a choice (exact when sizes add up, which `SizeModel` guarantees).
    public func predictedBytes(_ choice: [Int]) -> Int {
        choice.enumerated().reduce(otherBytes) { $0 + bytes[$1.offset][$1.element] }
    }

    /// Predicted drop (samples) of a choice, assuming drops add up.
    public func predictedDrop(_ choice: [Int]) -> Int {
        choice.enumerated().reduce(0) { $0 + drops[$1.offset][$1.element] }
    }

    /// Whether an exact evaluation meets the goal (drop measured against float on the same samples).
    public func meets(_ goal: SearchGoal, _ evaluation: PlanEvaluation) -> Bool {
        switch goal {
        case .maxDrop(let points):
            return table.float.correctCount - evaluation.correctCount <= allowedDrop(points: points)
        case .targetBytes(let limit):
            return evaluation.bytes <= limit
        }
    }

    /// The most samples a plan may lose against float within `points`.
    public func allowedDrop(points: Double) -> Int {
        Int((points / 100 * Double(table.sampleCount) + 1e-9).rounded(.down))
    }

    /// Whether `a` is better than `b` for `goal` (both meeting it).
    public static func isBetter(_ a: PlanEvaluation, than b: PlanEvaluation, for goal: SearchGoal) -> Bool {
        switch goal {
        case .maxDrop:
            return a.bytes != b.bytes ? a.bytes < b.bytes : a.correctCount > b.correctCount
        case .targetBytes:
            return a.correctCount != b.correctCount ? a.correctCount > b.correctCount : a.bytes < b.bytes
        }
    }

    /// The distinct choices on the lower convex hull of predicted (bytes, drop), from the
    /// smallest to the largest.
    public func hull() -> [[Int]] {
        var lambdas: Set<Double> = [0]
        for layer in options.indices {
            for a in options[layer].indices {
                for b in options[layer].indices where drops[layer][a] > drops[layer][b] {
                    let saved = Double(bytes[layer][b] - bytes[layer][a])
                    if saved > 0 { lambdas.insert(saved / Double(drops[layer][a] - drops[layer][b])) }
                }
            }
        }
        let sorted = lambdas.sorted()
        var probes = [0.0]
        for (index, lambda) in sorted.enumerated() {
            let next = index + 1 < sorted.count ? sorted[index + 1] : lambda * 2 + 1
            probes.append(lambda)
            probes.append((lambda + next) / 2)
        }
        var seen = Set<[Int]>()
        var result: [[Int]] = []
        for lambda in probes {
            let choice = options.indices.map { layer in
                options[layer].indices.min { a, b in
                    let costA = Double(bytes[layer][a]) + lambda * Double(drops[layer][a])
                    let costB = Double(bytes[layer][b]) + lambda * Double(drops[layer][b])
                    return costA != costB ? costA < costB : drops[layer][a] < drops[layer][b]
                } ?? 0
            }
            if seen.insert(choice).inserted { result.append(choice) }
        }
        return result.sorted { predictedBytes($0) < predictedBytes($1) }
    }
}

import Foundation

/// What a search found.
public struct SearchResult: Sendable {
    /// The best plan meeting the goal, or `nil` when none was found.
    public var best: SearchCandidate?
    /// Exact evaluations the search asked for (cached ones included).
    public var evaluations: Int
    /// Plans on the predicted hull.
    public var hullSize: Int
    /// Whether the search was cancelled (the best plan so far is still returned).
    public var wasCancelled: Bool
}

extension PlanSearch {
    /// Moves evaluated per refinement round.
    static let movesPerRound = 8

    /// Searches for the best plan meeting `goal` (see the type's documentation).
    ///
    /// - Parameters:
    ///   - progress: after each exact evaluation, with the best plan so far.
    ///   - isCancelled: checked before each evaluation and between graph nodes.
    /// - Throws: `TuningError.invalidGoal` for a negative drop or size; errors of the evaluator
    ///   other than cancellation.
    public func run(
        _ goal: SearchGoal, progress: ((SearchProgress) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> SearchResult {
        switch goal {
        case .maxDrop(let points) where !(points >= 0 && points.isFinite):
            throw TuningError.invalidGoal("the accuracy budget must be a drop of 0 points or more, not \(points)")
        case .targetBytes(let limit) where limit <= 0:
            throw TuningError.invalidGoal("the size budget must be positive, not \(limit) bytes")
        default: break
        }
        var state = State(search: self, goal: goal, limit: maxEvaluations, progress: progress)
        let hull = hull()
        do {
            if case .maxDrop = goal {
                try bisect(hull, state: &state, isCancelled: isCancelled)
            }
            for choice in proposals(from: hull, goal: goal) {
                _ = try state.check(choice, step: "proposals", isCancelled: isCancelled)
            }
            if state.best == nil {
                // Float meets any drop budget; the smallest plan is the last hope for a size budget.
                let allFloat = options.map { _ in 0 }
                var fallback = allFloat
                if case .targetBytes = goal { fallback = hull.first ?? allFloat }
                _ = try state.check(fallback, step: "proposals", isCancelled: isCancelled)
            }
            // Predicted drops are noisy and interact, so a round that finds nothing retries with
            // more slack (moves predicted to lose a few samples more than allowed) before stopping.
            let slacks = [0, 2 + noiseSlack(goal), 6 + 3 * noiseSlack(goal)]
            var level = 0
            while let start = state.bestChoice, state.evaluations < maxEvaluations, level < slacks.count {
                let before = state.best?.evaluation
                if case .maxDrop = goal {
                    // Probe: the single-layer moves that make the plan smaller, measured in the
                    // context of the current plan, so the pairs below are predicted from
                    // conditional drops rather than drops against float.
                    for move in smallerSingles(from: start).prefix(2 * PlanSearch.movesPerRound) {
                        _ = try state.check(move, step: "refining", isCancelled: isCancelled)
                    }
                }
                guard let current = state.bestChoice else { break }
                let exactDrop = state.exactDrop(current)
                let candidates = moves(
                    from: current, exactDrop: exactDrop, goal: goal, tried: state.tried, slack: slacks[level],
                    delta: { layer, option in
                        var single = current
                        single[layer] = option
                        if let known = state.exact[single] {
                            return state.search.table.float.correctCount - known.correctCount - exactDrop
                        }
                        return self.drops[layer][option] - self.drops[layer][current[layer]]
                    })
                for move in candidates.prefix(PlanSearch.movesPerRound) {
                    _ = try state.check(move, step: "refining", isCancelled: isCancelled)
                }
                level = state.best?.evaluation == before ? level + 1 : 0
            }
        } catch is CancellationError {
            return SearchResult(
                best: state.best, evaluations: state.evaluations, hullSize: hull.count, wasCancelled: true)
        }
        return SearchResult(best: state.best, evaluations: state.evaluations, hullSize: hull.count, wasCancelled: false)
    }

    /// Finds, by exact evaluation, the smallest plan on the predicted hull that meets a drop
    /// budget, bisecting on the assumption that the exact drop shrinks along the hull as the
    /// predicted one does. Single-layer drops do not add up (several layers quantized together
    /// often lose less than the sum of their drops), so the hull plan predicted to fit is often
    /// far larger than needed; bisection finds the real boundary in about log₂(hull) evaluations.
    func bisect(_ hull: [[Int]], state: inout State, isCancelled: () -> Bool) throws {
        guard !hull.isEmpty else { return }
        // `high`: a hull index known to meet the goal (hull.count: none known, float meets it).
        var low = 0
        var high = hull.count
        while low < high {
            let middle = (low + high) / 2
            guard let evaluation = try state.check(hull[middle], step: "proposals", isCancelled: isCancelled) else {
                return
            }
            if meets(state.goal, evaluation) { high = middle } else { low = middle + 1 }
        }
    }

    /// The plans to verify, most promising first: for a drop budget the smallest hull plan
    /// predicted to meet it, the two smaller ones next to it (predictions are noisy), then larger
    /// ones; for a size budget the three most accurate predicted hull plans that fit; then the
    /// uniform plans predicted to meet the goal.
    func proposals(from hull: [[Int]], goal: SearchGoal) -> [[Int]] {
        hullProposals(from: hull, goal: goal) + uniformChoices(meeting: goal)
    }

    /// Every layer at the same option (uniform 8-bit, uniform 4-bit, …) where it is predicted to
    /// meet the goal: the plans a user tries first, so the search never ends below them.
    func uniformChoices(meeting goal: SearchGoal) -> [[Int]] {
        let count = options.map(\.count).min() ?? 0
        return (0..<count).map { option in options.map { _ in option } }.filter { choice in
            switch goal {
            case .maxDrop(let points): predictedDrop(choice) <= allowedDrop(points: points)
            case .targetBytes(let limit): predictedBytes(choice) <= limit
            }
        }
    }

    /// The hull plans worth verifying first (see `proposals`).
    func hullProposals(from hull: [[Int]], goal: SearchGoal) -> [[Int]] {
        switch goal {
        case .maxDrop(let points):
            let allowed = allowedDrop(points: points)
            guard let first = hull.firstIndex(where: { predictedDrop($0) <= allowed }) else { return [] }
            let smaller = hull[max(0, first - 2)..<first].reversed()
            return [hull[first]] + smaller + hull[(first + 1)...].prefix(3)
        case .targetBytes(let limit):
            let fitting = hull.filter { predictedBytes($0) <= limit }
            let ranked = fitting.sorted { predictedDrop($0) < predictedDrop($1) }
            return Array(ranked.prefix(3)) + (fitting.first.map { [$0] } ?? [])
        }
    }

    /// Samples of slack for a retry round: the allowed drop for a drop budget (at least 1), 1 for a size budget.
    func noiseSlack(_ goal: SearchGoal) -> Int {
        if case .maxDrop(let points) = goal { return max(1, allowedDrop(points: points)) }
        return 1
    }

    /// Neighbouring choices of `current`, best predicted first: every single-layer change and,
    /// on models with at most 200 options in all, every pair of changes, that is predicted to
    /// meet the goal (within `slack` samples of drop) and improve on `current`.
    func moves(
        from current: [Int], exactDrop: Int, goal: SearchGoal, tried: Set<[Int]>, slack: Int = 0,
        delta: ((_ layer: Int, _ option: Int) -> Int)? = nil
    ) -> [[Int]] {
        var singles: [(layer: Int, option: Int)] = []
        for layer in options.indices {
            for option in options[layer].indices where option != current[layer] {
                singles.append((layer, option))
            }
        }
        var candidates: [[Int]] = singles.map { move in
            var choice = current
            choice[move.layer] = move.option
            return choice
        }
        if options.reduce(0, { $0 + $1.count }) <= 200 {
            for (a, first) in singles.enumerated() {
                for second in singles[(a + 1)...] where second.layer != first.layer {
                    var choice = current
                    choice[first.layer] = first.option
                    choice[second.layer] = second.option
                    candidates.append(choice)
                }
            }
        }
        let currentBytes = predictedBytes(current)
        let change = delta ?? { layer, option in self.drops[layer][option] - self.drops[layer][current[layer]] }
        func drop(_ choice: [Int]) -> Int {
            choice.indices.reduce(exactDrop) { $0 + (choice[$1] == current[$1] ? 0 : change($1, choice[$1])) }
        }
        switch goal {
        case .maxDrop(let points):
            let allowed = allowedDrop(points: points)
            return candidates.filter {
                !tried.contains($0) && predictedBytes($0) < currentBytes && drop($0) <= allowed + slack
            }
            .sorted {
                (max(0, drop($0) - allowed), predictedBytes($0)) < (max(0, drop($1) - allowed), predictedBytes($1))
            }
        case .targetBytes(let limit):
            return candidates.filter {
                !tried.contains($0) && predictedBytes($0) <= limit && drop($0) < exactDrop + slack
            }
            .sorted { (drop($0), predictedBytes($0)) < (drop($1), predictedBytes($1)) }
        }
    }

    /// Every single-layer change of `current` that makes the plan smaller, least predicted
    /// drop per byte saved first.
    func smallerSingles(from current: [Int]) -> [[Int]] {
        var result: [(choice: [Int], cost: Double)] = []
        for layer in options.indices {
            for option in options[layer].indices where bytes[layer][option] < bytes[layer][current[layer]] {
                var choice = current
                choice[layer] = option
                let saved = Double(bytes[layer][current[layer]] - bytes[layer][option])
                let drop = Double(max(0, drops[layer][option] - drops[layer][current[layer]]))
                result.append((choice, drop / saved))
            }
        }
        return result.sorted { $0.cost < $1.cost }.map(\.choice)
    }

    /// The search's bookkeeping: every choice tried, its exact figures, the best so far.
    struct State {
        let search: PlanSearch
        let goal: SearchGoal
        let limit: Int
        let progress: ((SearchProgress) -> Void)?
        var tried = Set<[Int]>()
        var exact: [[Int]: PlanEvaluation] = [:]
        var best: SearchCandidate?
        var bestChoice: [Int]?
        var evaluations = 0

        init(search: PlanSearch, goal: SearchGoal, limit: Int, progress: ((SearchProgress) -> Void)?) {
            self.search = search
            self.goal = goal
            self.limit = limit
            self.progress = progress
        }

        /// The exact drop (samples) of a choice already evaluated.
        func exactDrop(_ choice: [Int]) -> Int {
            search.table.float.correctCount - (exact[choice]?.correctCount ?? search.table.float.correctCount)
        }

        /// Evaluates `choice` exactly (once) and keeps it when it is the best meeting the goal.
        mutating func check(_ choice: [Int], step: String, isCancelled: () -> Bool) throws -> PlanEvaluation? {
            if let known = exact[choice] { return known }
            guard evaluations < limit else { return nil }
            if isCancelled() { throw CancellationError() }
            let plan = search.plan(choice)
            let evaluation = try search.sensitivity.evaluate(plan, isCancelled: isCancelled)
            evaluations += 1
            tried.insert(choice)
            exact[choice] = evaluation
            if search.meets(goal, evaluation),
                best.map({ PlanSearch.isBetter(evaluation, than: $0.evaluation, for: goal) }) ?? true
            {
                best = SearchCandidate(
                    choices: choice.enumerated().map { search.options[$0.offset][$0.element] }, plan: plan,
                    evaluation: evaluation)
                bestChoice = choice
            }
            let latest = SearchCandidate(
                choices: choice.enumerated().map { search.options[$0.offset][$0.element] }, plan: plan,
                evaluation: evaluation)
            progress?(SearchProgress(evaluations: evaluations, best: best, step: step, latest: latest))
            return evaluation
        }
    }

    /// The optimum over every combination of the per-layer options, by exact evaluation: for a
    /// drop budget, plans in order of size until the first that meets it (then those of the
    /// same size, for the most accurate); for a size budget, every plan that fits.
    ///
    /// - Throws: `TuningError.tooManyCombinations` beyond `exhaustiveLimit`; `CancellationError`.
    public func exhaustive(_ goal: SearchGoal, isCancelled: () -> Bool = { false }) throws -> SearchResult {
        let total = options.reduce(1) { $0.multipliedReportingOverflow(by: $1.count).partialValue }
        guard total <= PlanSearch.exhaustiveLimit, total > 0 else { throw TuningError.tooManyCombinations(total) }
        var all: [[Int]] = [[]]
        for layer in options.indices {
            all = all.flatMap { prefix in options[layer].indices.map { prefix + [$0] } }
        }
        let sized = all.map { (choice: $0, bytes: predictedBytes($0)) }.sorted { $0.bytes < $1.bytes }
        var state = State(search: self, goal: goal, limit: Int.max, progress: nil)
        var foundBytes: Int?
        for (choice, bytes) in sized {
            if case .targetBytes(let limit) = goal, bytes > limit { break }
            if case .maxDrop = goal, let foundBytes, bytes > foundBytes { break }
            _ = try state.check(choice, step: "exhaustive", isCancelled: isCancelled)
            if case .maxDrop = goal, foundBytes == nil, state.best != nil { foundBytes = bytes }
        }
        return SearchResult(best: state.best, evaluations: state.evaluations, hullSize: 0, wasCancelled: false)
    }
}

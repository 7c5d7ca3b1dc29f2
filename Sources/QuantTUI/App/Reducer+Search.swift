import Foundation
import QuantCore

/// One plan evaluated this session, as the Pareto view shows it.
public struct PlanPoint: Sendable, Equatable {
    /// Where its accuracy was measured.
    public enum Source: Sendable, Equatable {
        /// Your plan, on the whole held-out set.
        case heldOut
        /// A plan the search verified, on the validation split.
        case validation
    }

    /// The plan.
    public var plan: QuantPlan
    /// Its stored bytes.
    public var bytes: Int
    /// Its top-1 (0…1), or agreement with float for data without labels.
    public var accuracy: Double
    /// Where `accuracy` was measured.
    public var source: Source
}

extension Reducer {
    /// `F`: shows the running search, or asks which budget to fit.
    static func openSearch(_ state: inout AppState) -> [Effect] {
        if let search = state.search, !search.isFinished {
            state.overlay = .search
            return []
        }
        let budgets = state.budgets
        let accuracy =
            if case .maxDrop = budgets.accuracy, let label = budgets.accuracyLabel {
                "fit to accuracy budget: the smallest plan with \(label)"
            } else if budgets.accuracy != nil {
                "fit to accuracy budget: needs a drop budget such as 1pt (b)"
            } else {
                "fit to accuracy budget: set one first (b, e.g. 1pt)"
            }
        let size =
            budgets.sizeLabel.map { "fit to size budget: the most accurate plan \($0)" }
            ?? "fit to size budget: set one first (b, e.g. 8x)"
        state.overlay = .choice(Choice(.searchGoal, values: ["accuracy", "size"], labels: [accuracy, size]))
        return []
    }

    /// Starts the search for the chosen budget, or says which budget is missing.
    static func startSearch(_ state: inout AppState, budget: String) -> [Effect] {
        let goal: SearchGoal
        if budget == "accuracy" {
            guard case .maxDrop(let points) = state.budgets.accuracy else {
                state.message = StatusMessage(
                    "the search needs an accuracy budget as a drop in points: b, then e.g. 1pt", isError: true)
                return []
            }
            guard state.floatAccuracy?.hasLabels ?? true else {
                state.message = StatusMessage("the data has no labels: a drop budget cannot be searched", isError: true)
                return []
            }
            goal = .maxDrop(points: points)
        } else {
            guard state.budgets.size != nil else {
                state.message = StatusMessage("the search needs a size budget: b, then e.g. 8x or 40KiB", isError: true)
                return []
            }
            guard let floatBytes = state.quantized?.size.floatBytes,
                let limit = state.budgets.byteLimit(floatBytes: floatBytes, parameters: state.parameterCount)
            else {
                state.message = StatusMessage("the model's size is not known yet; try again in a moment")
                return []
            }
            goal = .targetBytes(limit)
        }
        state.search = SearchStatus(id: (state.search?.id ?? 0) + 1, goal: goal, step: "starting", fraction: 0)
        state.overlay = .search
        return [.startSearch(goal)]
    }

    /// Keys of the search view: Enter applies the best plan (one undoable edit), Esc cancels a
    /// running search (keeping its best) or closes, `q`/`F` hide it while it runs on.
    static func handleSearchKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        let isRunning = state.search.map { !$0.isFinished } ?? false
        switch key {
        case .escape:
            if isRunning {
                state.message = StatusMessage("search cancelled; its best plan so far stays (Enter applies it)")
                return [.cancelSearch]
            }
            state.overlay = nil
        case .character("q"), .character("F"):
            state.overlay = nil
        case .enter:
            guard let best = state.search?.best else {
                state.message = StatusMessage("no plan within the budget found yet")
                return []
            }
            state.overlay = nil
            guard best.plan != state.plan else {
                state.message = StatusMessage("the search's best plan is the current plan already")
                return []
            }
            state.undoStack.append(state.plan)
            state.redoStack.removeAll()
            state.message = StatusMessage(
                "applied the search's plan: \(Formatting.bytes(best.bytes)) (u undoes)")
            return (isRunning ? [.cancelSearch] : []) + replacePlan(&state, with: best.plan)
        default:
            break
        }
        return []
    }

    /// Folds in a status of the background search: its verified plans become points.
    static func receiveSearch(_ state: inout AppState, _ status: SearchStatus) {
        let accuracy = { (point: SearchStatus.Point) in point.top1 }
        for point in status.verified where !state.planPoints.contains(where: { $0.plan == point.plan }) {
            state.planPoints.append(
                PlanPoint(plan: point.plan, bytes: point.bytes, accuracy: accuracy(point), source: .validation))
        }
        var kept = status
        kept.verified = []
        if let shown = state.search, shown.id > status.id { return }
        let wasRunning = state.search.map { !$0.isFinished } ?? false
        state.search = kept
        if status.isFinished, wasRunning, state.overlay != .search {
            state.message = StatusMessage(
                status.error.map { "search failed: \($0)" }
                    ?? (status.best.map { "search: best \(Formatting.bytes($0.bytes)) (F shows it, Enter applies)" }
                        ?? "search: no plan within the budget found"),
                isError: status.error != nil)
        }
    }

    /// Records the current plan's exact result as a point of the Pareto view.
    static func recordPoint(_ state: inout AppState, _ report: EvalReport) {
        guard let model = state.quantized, model.plan == state.plan else { return }
        let accuracy = report.hasLabels ? report.top1 : (report.fidelity?.agreement ?? report.agreement ?? 0)
        let point = PlanPoint(plan: state.plan, bytes: model.size.currentBytes, accuracy: accuracy, source: .heldOut)
        if let index = state.planPoints.firstIndex(where: { $0.plan == point.plan && $0.source == .heldOut }) {
            state.planPoints[index] = point
        } else {
            state.planPoints.append(point)
        }
    }

    /// The index of the current plan's point, if it was evaluated.
    static func currentPointIndex(_ state: AppState) -> Int? {
        state.planPoints.firstIndex { $0.plan == state.plan && $0.source == .heldOut }
            ?? state.planPoints.firstIndex { $0.plan == state.plan }
    }

    /// Keys of the Pareto view: ←/→ (h/l) move between points by size, Enter makes the chosen
    /// point's plan current (one undoable edit), Esc/P close.
    static func handleParetoKey(_ state: inout AppState, selected: Int, _ key: Key) -> [Effect] {
        let order = ParetoFront.orderBySize(state.planPoints)
        let position = order.firstIndex(of: selected) ?? 0
        switch key {
        case .left, .character("h"), .up, .character("k"):
            state.overlay = .pareto(selected: order.isEmpty ? 0 : order[max(position - 1, 0)])
        case .right, .character("l"), .down, .character("j"):
            state.overlay = .pareto(selected: order.isEmpty ? 0 : order[min(position + 1, order.count - 1)])
        case .escape, .character("P"), .character("q"):
            state.overlay = nil
        case .enter:
            state.overlay = nil
            guard state.planPoints.indices.contains(selected) else { return [] }
            let plan = state.planPoints[selected].plan
            guard plan != state.plan else {
                state.message = StatusMessage("that point is the current plan")
                return []
            }
            state.undoStack.append(state.plan)
            state.redoStack.removeAll()
            state.message = StatusMessage(
                "made the plan of \(Formatting.bytes(state.planPoints[selected].bytes)) current (u undoes)")
            return replacePlan(&state, with: plan)
        default:
            break
        }
        return []
    }
}

import Foundation
import QuantCore

/// The current plan's change from float with its 95 % interval, and where it stands against the
/// budgets: what the accuracy pane writes so that noise is visible (issue 14).
///
/// Δ top-1 gets the paired interval (`PairedDifference`: only the samples that flip between
/// right and wrong count); agreement with float (fidelity, data without labels) gets its
/// Wilson interval. A Δ whose interval holds 0 is "within noise", never an exact change.
enum DeltaFigures {
    /// The paired difference between the float model and `report` on the held-out labels, or
    /// `nil` when either is not an exact full-set result over those labels.
    static func paired(float: EvalReport?, plan: EvalReport, labels: [Int]) -> PairedDifference? {
        guard let float, float.isExact, plan.isExact, float.hasLabels, !labels.isEmpty,
            float.predictions.count == labels.count, plan.predictions.count == labels.count
        else { return nil }
        return PairedDifference(
            baseline: zip(float.predictions, labels).map { $0 == $1 },
            candidate: zip(plan.predictions, labels).map { $0 == $1 })
    }

    /// `Δ -0.8 pt [-1.9, +0.3]`.
    static func text(_ difference: PairedDifference) -> String {
        let interval = difference.interval
        return String(
            format: "Δ %+.1f pt [%+.1f, %+.1f]", difference.delta * 100, interval.lowerBound * 100,
            interval.upperBound * 100)
    }

    /// `within noise` when the interval holds 0, else `more than noise`.
    static func verdict(_ difference: PairedDifference) -> String {
        difference.isSignificant ? "beyond noise" : "within noise"
    }

    /// The 95 % interval of the share of `count` predictions equal to float's, `agreement` of them.
    static func agreementInterval(agreement: Double, count: Int) -> ClosedRange<Double> {
        let agreeing = Int((agreement * Double(count)).rounded())
        return EvaluationMetrics.wilsonInterval(successes: agreeing, trials: count)
    }

    /// `[97.3, 98.8]`: an interval of shares in percent.
    static func percentInterval(_ interval: ClosedRange<Double>) -> String {
        String(format: "[%.1f, %.1f]", interval.lowerBound * 100, interval.upperBound * 100)
    }

    /// The budget line of the accuracy pane and whether the plan is within it, or `nil` without
    /// an accuracy budget: `budget drop ≤ 1 pt: within` (green) / `… : over by 0.7 pt` (red).
    static func accuracyBudgetLine(_ state: AppState, report: EvalReport?) -> (String, Style)? {
        guard let label = state.budgets.accuracyLabel else { return nil }
        guard let report, let float = state.floatAccuracy else { return ("budget    \(label)", .dim) }
        let delta = float.hasLabels ? (report.top1 - float.top1) * 100 : nil
        let agreement = report.fidelity?.agreement ?? report.agreement
        guard let isWithin = state.budgets.meetsAccuracy(deltaPoints: delta, agreement: agreement) else {
            return ("budget    \(label) (no figure for it)", .dim)
        }
        var verdict = "within"
        if !isWithin {
            switch state.budgets.accuracy {
            case .maxDrop(let points): verdict = String(format: "over by %.1f pt", -(delta ?? 0) - points)
            case .minFidelity(let share): verdict = String(format: "%.1f pt short", (share - (agreement ?? 0)) * 100)
            case nil: break
            }
        }
        return ("budget    \(label): \(verdict)", Style(foreground: isWithin ? .green : .red, attributes: .bold))
    }

    /// The float line of the history chart: float's top-1, and the budget's floor under it.
    static func historyLines(_ state: AppState) -> (float: Double?, floor: Double?) {
        guard let float = state.floatAccuracy, float.hasLabels else { return (nil, nil) }
        if case .maxDrop(let points) = state.budgets.accuracy { return (float.top1, float.top1 - points / 100) }
        return (float.top1, nil)
    }
}

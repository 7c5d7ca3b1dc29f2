import Foundation
import QuantCore

/// Held-out accuracy: float baseline, the current plan (estimate, then exact), delta, top-5,
/// NLL, agreement with float, progress, and a sparkline of every plan evaluated this session.
/// For data without labels it is a fidelity pane: agreement, KL, cosine, relative MSE and
/// nearest-neighbour agreement of the plan's outputs with the float model's.
struct AccuracyPane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let evaluation = state.evaluation
        var info = ""
        if let detail = evaluation.progressDetail {
            info = detail.summary
        } else if let progress = evaluation.progress {
            info = "evaluating… \(Int((progress * 100).rounded())) %"
        } else if let baseline = evaluation.baselineProgress {
            info = baseline.summary
        } else if evaluation.exact != nil {
            info = "exact"
        }
        let isFidelity = Self.showsFidelity(state)
        let frame = Frame(title: isFidelity ? "Fidelity (vs float)" : "Accuracy (held-out)", info: info, glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        guard !inner.isEmpty else { return }
        let lines = Self.lines(for: state, isCompact: inner.width < 46)
        for (offset, line) in lines.prefix(inner.height).enumerated() {
            let text =
                glyphs == .ascii
                ? line.0.replacingOccurrences(of: "Δ", with: "d").replacingOccurrences(of: "≈", with: "~")
                    .replacingOccurrences(of: "±", with: "+-").replacingOccurrences(of: "≤", with: "<=")
                    .replacingOccurrences(of: "≥", with: ">=").replacingOccurrences(of: "…", with: "...") : line.0
            buffer.write(text, column: inner.x + 1, row: inner.y + offset, style: line.1, clip: inner)
        }
        let historyRow = inner.y + lines.count + 1
        // The history is of top-1 accuracy, which data without labels does not have.
        if !isFidelity, !state.accuracyHistory.isEmpty, historyRow < inner.bottom {
            let height = max(min(inner.bottom - historyRow, 2), 1)
            Self.renderHistory(
                state, in: Rect(x: inner.x + 1, y: historyRow, width: inner.width - 2, height: height), glyphs: glyphs,
                into: &buffer)
        }
    }

    /// The accuracy history with axes: its top and bottom values as labels at the left, the
    /// float model's line (`┈`) where no bar covers it, one bar per plan evaluated.
    static func renderHistory(_ state: AppState, in area: Rect, glyphs: GlyphSet, into buffer: inout ScreenBuffer) {
        let labelWidth = 6
        guard area.width > labelWidth + 4 else { return }
        let chart = Rect(x: area.x + labelWidth, y: area.y, width: area.width - labelWidth, height: area.height)
        let values = Array(state.accuracyHistory.suffix(chart.width)).filter(\.isFinite)
        guard var low = values.min(), var high = values.max() else { return }
        let float = DeltaFigures.historyLines(state).float
        if let float {
            low = min(low, float)
            high = max(high, float)
        }
        if area.height >= 2 {
            buffer.write(String(format: "%5.1f", high * 100), column: area.x, row: area.y, style: .dim, clip: area)
            buffer.write(
                String(format: "%5.1f", low * 100), column: area.x, row: area.bottom - 1, style: .dim, clip: area)
        } else {
            buffer.write(String(format: "%5.1f", low * 100), column: area.x, row: area.y, style: .dim, clip: area)
        }
        SparklineView(values: values, range: low...high, glyphs: glyphs).render(in: chart, into: &buffer)
        guard let float, high > low else { return }
        let level = Int(((float - low) / (high - low) * Double(chart.height - 1)).rounded())
        let y = chart.bottom - 1 - min(max(level, 0), chart.height - 1)
        for x in chart.x..<chart.right where buffer[x, y].symbol == " " {
            buffer.put(glyphs == .ascii ? "." : "┈", column: x, row: y, style: Style(foreground: .blue), in: chart)
        }
    }
}

extension AccuracyPane {
    /// The pane's text lines; `isCompact` fits them in about 30 columns (an 80-column screen).
    static func lines(for state: AppState, isCompact: Bool) -> [(String, Style)] {
        if showsFidelity(state) { return fidelityLines(for: state, isCompact: isCompact) }
        let evaluation = state.evaluation
        var lines: [(String, Style)] = []
        let pad = isCompact ? "" : "          "
        if let float = state.floatAccuracy {
            lines.append(
                (
                    isCompact
                        ? String(format: "float  top-1 %6.2f %%", float.top1 * 100)
                        : String(format: "float     top-1 %6.2f %%  (%d images)", float.top1 * 100, float.count), .plain
                ))
        } else {
            lines.append(("float     " + (state.evaluation.baselineProgress?.summary ?? "evaluating…"), .dim))
        }
        if let exact = evaluation.exact ?? evaluation.lastExact {
            let isCurrent = evaluation.exact != nil
            let status = isCurrent ? "exact" : "(previous plan)"
            let style: Style = isCurrent ? .bold : .dim
            lines.append(
                (
                    String(
                        format: isCompact ? "now    top-1 %6.2f %%  " : "current   top-1 %6.2f %%  ", exact.top1 * 100)
                        + status, style
                ))
            // Δ with its paired 95 % interval: a change within noise is said to be one.
            if let paired = DeltaFigures.paired(float: state.floatAccuracy, plan: exact, labels: state.heldOutLabels) {
                let text = DeltaFigures.text(paired)
                let verdict = paired.isSignificant ? "" : isCompact ? " noise" : "  within noise"
                let noisy: Style = isCurrent ? Style(foreground: .yellow) : .dim
                lines.append(((isCompact ? "" : "    ") + text + verdict, paired.isSignificant ? style : noisy))
            } else if let float = state.floatAccuracy {
                let delta = String(format: "Δ %+.1f pt", (exact.top1 - float.top1) * 100)
                lines.append(((isCompact ? "" : "    ") + delta + " (no interval)", style))
            }
            lines.append(
                (
                    pad + String(format: "top-5 %6.2f %%  NLL ", exact.top5 * 100)
                        + (exact.finiteMeanNLL.map { String(format: "%.4f", $0) } ?? "—"), .plain
                ))
            if let agreement = exact.agreement {
                var text = pad + String(format: "agrees with float %.1f %%", agreement * 100)
                if let kl = exact.fidelity?.kl, !isCompact { text += String(format: "  KL %.4f", kl) }
                lines.append((text, .plain))
            }
        } else {
            lines.append(("current   evaluating…", .dim))
        }
        if let estimate = evaluation.estimate, evaluation.exact == nil {
            let halfWidth = (estimate.top1Interval.upperBound - estimate.top1Interval.lowerBound) / 2 * 100
            let text =
                isCompact
                ? String(format: "≈ %.1f %% ± %.1f (%d, 95 %%)", estimate.top1 * 100, halfWidth, estimate.count)
                : String(
                    format: "estimate  top-1 ≈ %.1f %% ± %.1f  (%d images, 95 %% interval)", estimate.top1 * 100,
                    halfWidth, estimate.count)
            lines.append((text, Style(foreground: .yellow)))
        }
        if let integer = IntegerModeText.accuracyLine(state, isCompact: isCompact) { lines.append(integer) }
        lines += FinetuneText.accuracyLines(state, isCompact: isCompact)
        if let budget = DeltaFigures.accuracyBudgetLine(state, report: evaluation.exact ?? evaluation.lastExact) {
            lines.append(
                isCompact ? (budget.0.replacingOccurrences(of: "budget    ", with: ""), budget.1) : budget)
        }
        if let error = evaluation.error {
            lines.append(("evaluation failed: \(error)", Style(foreground: .red, attributes: .bold)))
        }
        return lines
    }

    /// Whether the pane shows fidelity: the held-out data has no labels.
    static func showsFidelity(_ state: AppState) -> Bool {
        state.floatAccuracy.map { !$0.hasLabels } ?? false
    }

    /// The fidelity pane's lines: the current plan's outputs against the float model's.
    static func fidelityLines(for state: AppState, isCompact: Bool) -> [(String, Style)] {
        let evaluation = state.evaluation
        var lines: [(String, Style)] = []
        let count = state.floatAccuracy?.count ?? 0
        lines.append(
            (isCompact ? "no labels: vs float" : "no labels: outputs vs the float model's (\(count) samples)", .dim))
        if let exact = evaluation.exact ?? evaluation.lastExact, let fidelity = exact.fidelity {
            let isCurrent = evaluation.exact != nil
            let style: Style = isCurrent ? .bold : .dim
            let status = isCurrent ? "exact" : "(previous plan)"
            let interval = DeltaFigures.agreementInterval(agreement: fidelity.agreement, count: exact.count)
            lines.append(
                (
                    String(format: "agreement %6.2f %% ", fidelity.agreement * 100)
                        + DeltaFigures.percentInterval(interval) + " " + status, style
                ))
            let kl = fidelity.kl.map { String(format: "KL %.4f  ", $0) } ?? ""
            lines.append((kl + String(format: "cosine %.5f", fidelity.cosine), .plain))
            var last = String(format: "rel. MSE %.2e", fidelity.relativeMSE)
            if let neighbours = fidelity.neighbours { last += String(format: "  neighbours %.1f %%", neighbours * 100) }
            lines.append((last, .plain))
        } else {
            lines.append(("current   evaluating…", .dim))
        }
        if let budget = DeltaFigures.accuracyBudgetLine(state, report: evaluation.exact ?? evaluation.lastExact) {
            lines.append(budget)
        }
        if let estimate = evaluation.estimate, evaluation.exact == nil, let fidelity = estimate.fidelity {
            lines.append(
                (
                    String(
                        format: "estimate  agreement ≈ %.1f %%  cosine ≈ %.4f (%d)", fidelity.agreement * 100,
                        fidelity.cosine, estimate.count), Style(foreground: .yellow)
                ))
        }
        if let error = evaluation.error {
            lines.append(("evaluation failed: \(error)", Style(foreground: .red, attributes: .bold)))
        }
        return lines
    }
}

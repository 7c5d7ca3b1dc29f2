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
                    .replacingOccurrences(of: "±", with: "+-").replacingOccurrences(of: "…", with: "...") : line.0
            buffer.write(text, column: inner.x + 1, row: inner.y + offset, style: line.1, clip: inner)
        }
        let historyRow = inner.y + lines.count + 1
        // The history is of top-1 accuracy, which data without labels does not have.
        if !isFidelity, !state.accuracyHistory.isEmpty, historyRow < inner.bottom {
            let label = "history "
            buffer.write(label, column: inner.x + 1, row: historyRow, style: .dim, clip: inner)
            let sparkArea = Rect(
                x: inner.x + 1 + label.count, y: historyRow, width: inner.width - label.count - 2,
                height: max(min(inner.bottom - historyRow, 2), 1))
            SparklineView(values: state.accuracyHistory, glyphs: glyphs).render(in: sparkArea, into: &buffer)
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
            let delta = state.floatAccuracy.map { String(format: "Δ %+.2f pt", (exact.top1 - $0.top1) * 100) } ?? ""
            let status = isCurrent ? "exact" : "(previous plan)"
            if isCompact {
                lines.append((String(format: "now    top-1 %6.2f %%", exact.top1 * 100), isCurrent ? .bold : .dim))
                lines.append(("       \(delta) \(status)", isCurrent ? .bold : .dim))
            } else {
                lines.append(
                    (
                        String(format: "current   top-1 %6.2f %%  ", exact.top1 * 100) + "\(delta)  \(status)",
                        isCurrent ? .bold : .dim
                    ))
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
            lines.append((String(format: "agreement %6.2f %%  ", fidelity.agreement * 100) + status, style))
            let kl = fidelity.kl.map { String(format: "KL %.4f  ", $0) } ?? ""
            lines.append((kl + String(format: "cosine %.5f", fidelity.cosine), .plain))
            var last = String(format: "rel. MSE %.2e", fidelity.relativeMSE)
            if let neighbours = fidelity.neighbours { last += String(format: "  neighbours %.1f %%", neighbours * 100) }
            lines.append((last, .plain))
        } else {
            lines.append(("current   evaluating…", .dim))
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

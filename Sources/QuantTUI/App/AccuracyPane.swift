import Foundation
import QuantCore

/// Held-out accuracy: float baseline, the current plan (estimate, then exact), delta, top-5,
/// NLL, agreement with float, progress, and a sparkline of every plan evaluated this session.
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
        let frame = Frame(title: "Accuracy (held-out)", info: info, glyphs: glyphs)
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
        if !state.accuracyHistory.isEmpty, historyRow < inner.bottom {
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
            lines.append((pad + String(format: "top-5 %6.2f %%  NLL %.4f", exact.top5 * 100, exact.meanNLL), .plain))
            if let agreement = exact.agreement {
                lines.append((pad + String(format: "agrees with float %.1f %%", agreement * 100), .plain))
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
}

/// Stored size: float vs current bytes, the compression ratio and each layer's share.
struct SizePane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        // The figures are the C export's (dense or bitmap per layer); the QDQ ONNX file keeps
        // every code (int4/int8/int16, or float32 where ONNX cannot decode the scheme).
        let qdq = state.quantized.map { "QDQ ONNX \(Formatting.bytes($0.qdqTensorBytes))" } ?? ""
        let frame = Frame(title: "Size (C export)", info: qdq, glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        guard !inner.isEmpty, let size = state.quantized?.size else { return }
        let arrow = glyphs == .ascii ? "->" : "→"
        let summary = "float32 \(Formatting.bytes(size.floatBytes)) \(arrow) \(Formatting.bytes(size.currentBytes))"
        let isCompressed = size.currentBytes < size.floatBytes
        // A short pane (80×24) puts the ratio beside the sizes to leave rows for the bars.
        let isCompact = inner.height < 6
        let ratio =
            isCompressed
            ? String(format: isCompact ? "%.2f×" : "%.2f× smaller", size.compressionRatio)
            : isCompact ? "" : "float32: no compression yet"
        let times = { (text: String) in glyphs == .ascii ? text.replacingOccurrences(of: "×", with: "x") : text }
        buffer.write(summary, column: inner.x + 1, row: inner.y, style: .bold, clip: inner)
        let ratioStyle = Style(foreground: .green, attributes: .bold)
        if isCompact {
            buffer.write(
                times(ratio), column: inner.x + 2 + summary.count, row: inner.y, style: ratioStyle, clip: inner)
        } else {
            buffer.write(times(ratio), column: inner.x + 1, row: inner.y + 1, style: ratioStyle, clip: inner)
        }
        let storageRow = inner.y + (isCompact ? 1 : 2)
        // Which layers store an occupancy bitmap plus the non-zero codes instead of every code.
        let sparse = size.layers.filter { $0.encoding == .sparse }.map(\.name)
        let storage =
            sparse.isEmpty
            ? "every layer stored dense"
            : sparse.count == size.layers.count
                ? "every layer: bitmap + non-zeros" : "bitmap + non-zeros: " + sparse.joined(separator: ", ")
        buffer.write(
            TextFitting.truncated(storage, to: max(inner.width - 2, 0), ellipsis: glyphs.ellipsis),
            column: inner.x + 1, row: storageRow, style: .dim, clip: inner)
        let selected = state.selectedLayer?.name
        let entries = size.layers.map { layer in
            GaugeView.Entry(
                name: layer.name, fraction: layer.share,
                value: "\(Formatting.bytes(layer.quantizedBytes)) \(Int((layer.share * 100).rounded()))%",
                style: layer.name == selected ? Style(foreground: .cyan, attributes: .bold) : Style(foreground: .cyan))
        }
        // Every layer's bar is reachable: the bars scroll with the table's selection.
        let gaugeArea = Rect(
            x: inner.x + 1, y: storageRow + 1, width: max(inner.width - 2, 0),
            height: max(inner.bottom - storageRow - 1, 0))
        let offset = TableView.scrollOffset(
            selected: entries.firstIndex { $0.name == selected } ?? 0, current: state.scrollOffset,
            visibleRows: gaugeArea.height, rowCount: entries.count)
        GaugeView(entries: Array(entries.dropFirst(offset)), glyphs: glyphs).render(in: gaugeArea, into: &buffer)
    }
}

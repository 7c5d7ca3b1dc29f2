import Foundation
import QuantCore

/// Stored size: float vs current bytes of the C export (each layer dense or bitmap, whichever is
/// smaller), the compression ratio with the precision loss δ = 1 − b/32 (`SizeReport.precisionLoss`),
/// the QDQ ONNX file's tensors, and each layer's share. δ is `1 − b/32`, `b` the mean stored bits
/// per weight value (`delta` with ASCII glyphs).
///
/// ```
/// ┌─ Size (C export) ───────────────────┐
/// │ float32 918.5 KiB → 233.5 KiB       │
/// │ 3.93× smaller · δ 75.0 %            │
/// │ QDQ ONNX 241.2 KiB                  │
/// │ every layer stored dense            │
/// │ fc1 ████▎      100.0 KiB 43%        │
/// ```
/// A short pane (80×24) puts the ratio and δ beside the sizes and the QDQ figure beside the storage,
/// leaving rows for the bars, which scroll with the table's selection.
struct SizePane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    /// One row of text in parts with their own styles.
    typealias Row = [(text: String, style: Style)]

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let frame = Frame(title: "Size (C export)", glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        guard !inner.isEmpty, let model = state.quantized else { return }
        var rows = Self.rows(model, isCompact: inner.height < 6, glyphs: glyphs)
        if let budget = Self.budgetRow(state, model: model, glyphs: glyphs, width: max(inner.width - 2, 1)) {
            // The budget replaces the storage line in a short pane, else goes under the ratio.
            if inner.height < 6 {
                rows[rows.count - 1] = budget.row
            } else {
                rows.insert(budget.row, at: 2)
            }
            rows[0] = rows[0].map { ($0.text, Style(foreground: budget.isWithin ? .green : .red, attributes: .bold)) }
        }
        // Integer mode: how much faster the int8 model runs, under the ratio (or why it cannot run).
        if let integer = IntegerModeText.sizeRow(state, glyphs: glyphs) { rows.insert(integer, at: min(2, rows.count)) }
        let text = inner.inset(left: 1, right: 1)
        for (offset, row) in rows.enumerated() {
            var x = text.x
            for part in row where x < text.right {
                let shown = TextFitting.truncated(part.text, to: text.right - x, ellipsis: glyphs.ellipsis)
                buffer.write(shown, column: x, row: text.y + offset, style: part.style, clip: text)
                x += shown.count
            }
        }
        let selected = state.selectedLayer?.name
        let entries = model.size.layers.map { layer in
            GaugeView.Entry(
                name: layer.name, fraction: layer.share,
                value: "\(Formatting.bytes(layer.quantizedBytes)) \(Int((layer.share * 100).rounded()))%",
                style: layer.name == selected ? Style(foreground: .cyan, attributes: .bold) : Style(foreground: .cyan))
        }
        // Every layer's bar is reachable: the bars scroll with the table's selection.
        let gaugeArea = Rect(
            x: text.x, y: text.y + rows.count, width: text.width, height: max(text.height - rows.count, 0))
        let offset = TableView.scrollOffset(
            selected: entries.firstIndex { $0.name == selected } ?? 0, current: state.scrollOffset,
            visibleRows: gaugeArea.height, rowCount: entries.count)
        GaugeView(entries: Array(entries.dropFirst(offset)), glyphs: glyphs).render(in: gaugeArea, into: &buffer)
    }

    /// The size budget's row (`budget ≤ 40.0 KiB: within`, green, or `…: over by 3.1 KiB`, red)
    /// and whether the plan is within it, or `nil` without a size budget. In a narrow pane the
    /// row drops words (`budget ≥ 8×: over 118.7 KiB`) before it is cut, so the verdict stays readable.
    static func budgetRow(
        _ state: AppState, model: QuantizedModel, glyphs: GlyphSet, width: Int = .max
    ) -> (row: Row, isWithin: Bool)? {
        let size = model.size
        guard let label = state.budgets.sizeLabel,
            let limit = state.budgets.byteLimit(floatBytes: size.floatBytes, parameters: state.parameterCount)
        else { return nil }
        let isWithin = size.currentBytes <= limit
        let excess = Formatting.bytes(size.currentBytes - limit)
        var now = ""
        if case .bitsPerWeight = state.budgets.size, state.parameterCount > 0 {
            now = String(format: " (now %.2f bpw)", Double(size.currentBytes) * 8 / Double(state.parameterCount))
        }
        let verdict = isWithin ? "within" : "over by \(excess)"
        let short = label.replacingOccurrences(of: " smaller", with: "")
        let candidates = [
            "budget \(label): \(verdict)\(now)", "\(label): \(verdict)\(now)", "\(label): \(verdict)",
            "budget \(short): \(isWithin ? "within" : "over \(excess)")",
            "\(short): \(isWithin ? "within" : "over \(excess)")",
        ].map { text in
            glyphs == .ascii
                ? text.replacingOccurrences(of: "≤", with: "<=").replacingOccurrences(of: "≥", with: ">=")
                    .replacingOccurrences(of: "×", with: "x") : text
        }
        let text = candidates.first { $0.count <= width } ?? candidates[candidates.count - 1]
        return ([(text, Style(foreground: isWithin ? .green : .red, attributes: .bold))], isWithin)
    }

    /// The text rows above the bars.
    static func rows(_ model: QuantizedModel, isCompact: Bool, glyphs: GlyphSet) -> [Row] {
        let size = model.size
        let arrow = glyphs == .ascii ? "->" : "→"
        let times = glyphs == .ascii ? "x" : "×"
        let sizes = "\(Formatting.bytes(size.floatBytes)) \(arrow) \(Formatting.bytes(size.currentBytes))"
        let isCompressed = size.currentBytes < size.floatBytes
        let ratio = String(format: "%.2f", size.compressionRatio) + times
        // The precision loss δ = 1 − b/32 beside the ratio (b: the mean stored bits per weight value).
        let delta = (glyphs == .ascii ? "delta " : "δ ") + String(format: "%.1f %%", size.precisionLoss * 100)
        let qdq = "QDQ ONNX \(Formatting.bytes(model.qdqTensorBytes))"
        let green = Style(foreground: .green, attributes: .bold)
        // Which layers store an occupancy bitmap plus the non-zero codes instead of every code.
        let sparse = size.layers.filter { $0.encoding == .sparse }.map(\.name)
        let isAllSparse = !sparse.isEmpty && sparse.count == size.layers.count
        if isCompact {
            let storage =
                sparse.isEmpty ? "dense" : isAllSparse ? "bitmap" : "bitmap: " + sparse.joined(separator: ", ")
            return [
                [(sizes, .bold)] + (isCompressed ? [(" " + ratio, green), (" " + delta, .plain)] : []),
                [("\(qdq) · \(storage)", .dim)],
            ]
        }
        let storage =
            sparse.isEmpty
            ? "every layer stored dense"
            : isAllSparse ? "every layer: bitmap + non-zeros" : "bitmap + non-zeros: " + sparse.joined(separator: ", ")
        return [
            [("float32 \(sizes)", .bold)],
            [
                (isCompressed ? "\(ratio) smaller" : "not compressed", isCompressed ? green : .plain),
                (" · \(delta)", .plain),
            ],
            [(qdq, .plain)],
            [(storage, .dim)],
        ]
    }
}

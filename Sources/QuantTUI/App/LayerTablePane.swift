import Foundation
import QuantCore

/// The layer table: one row per quantizable layer with its settings, error and size.
struct LayerTablePane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    /// Columns, most important first to go last when narrow (higher priority stays longer).
    static let columns: [TableColumn] = [
        TableColumn(title: "layer", width: .flexible(min: 8), priority: 100),
        TableColumn(title: "op", width: .fixed(6), priority: 20),
        TableColumn(title: "weight shape", width: .fixed(12), priority: 30),
        TableColumn(title: "params", width: .fixed(9), alignment: .right, priority: 40),
        TableColumn(title: "bits", width: .fixed(5), alignment: .right, priority: 95),
        TableColumn(title: "scheme", width: .fixed(14), priority: 90),
        TableColumn(title: "gran", width: .fixed(9), priority: 80),
        TableColumn(title: "prune", width: .fixed(11), priority: 70),
        TableColumn(title: "act", width: .fixed(5), alignment: .right, priority: 35),
        TableColumn(title: "sparsity", width: .fixed(8), alignment: .right, priority: 72),
        TableColumn(title: "SQNR dB", width: .fixed(8), alignment: .right, priority: 75),
        TableColumn(title: "bytes", width: .fixed(10), alignment: .right, priority: 85),
    ]

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let marked = state.marked.isEmpty ? "" : " · \(state.marked.count) marked"
        let frame = Frame(
            title: "Layers", info: "\(state.layers.count) layers\(marked)", isFocused: true, glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        table(width: inner.width).render(in: inner, into: &buffer)
    }

    /// The table widget for the current state.
    func table(width: Int) -> TableView {
        let rows = state.layers.map { layer -> [String] in
            let settings = state.plan.settings(for: layer.name)
            let report = state.quantized?.report(for: layer.name).flatMap { $0.settings == settings ? $0 : nil }
            let sqnr: String
            if let report {
                sqnr = report.metrics.sqnrDecibels.map { String(format: "%.1f", $0) } ?? "∞"
            } else {
                sqnr = "…"
            }
            return [
                layer.name, layer.opName, layer.weightShape.map(String.init).joined(separator: "×"),
                Formatting.grouped(layer.parameterCount), settings.bitWidthLabel, settings.schemeLabel,
                settings.granularityLabel, glyphs.text(settings.pruningLabel),
                settings.activationLabel == "float" ? "—" : settings.activationLabel,
                report.map { String(format: "%.1f%%", $0.metrics.sparsity * 100) } ?? "…", sqnr,
                report.map { Formatting.grouped($0.size.quantizedBytes) } ?? "…",
            ]
        }
        let markedRows = Set(state.layers.indices.filter { state.marked.contains(state.layers[$0].name) })
        return TableView(
            columns: Self.columns, rows: rows, selectedRow: state.layers.isEmpty ? nil : state.selectedIndex,
            markedRows: markedRows, scrollOffset: state.scrollOffset,
            emptyMessage: "the model has no quantizable layers",
            glyphs: glyphs)
    }
}

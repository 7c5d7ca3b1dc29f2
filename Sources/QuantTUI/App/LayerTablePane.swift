import Foundation
import QuantCore

/// The layer table: one row per quantizable layer with its settings, error and size.
struct LayerTablePane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    /// What a cell is computed from: the layer, its settings and, once quantized, its report
    /// (nil while the engine works on the current settings).
    struct RowContext: Sendable {
        var layer: Layer
        var settings: LayerSettings
        var report: LayerReport?
        /// Only this layer at the sensitivity menu's options, once measured for these settings.
        var sensitivity: [SensitivityTable.Entry]?
        /// RMSE/scale at these settings: `.some(nil)` when the layer has none, `nil` while unknown.
        var health: Double??
        /// Integer mode: the layer's float and integer milliseconds per image, once measured.
        var latency: LatencyProfile.Layer? = nil
    }

    /// One column: its header and width rule, and how a row's cell reads.
    struct Column: Sendable {
        /// What the column shows (the help screen lists it).
        var summary: String
        var column: TableColumn
        /// Shown only when the session runs a sensitivity analysis.
        var needsAnalysis = false
        /// Shown only in integer mode (`i`).
        var needsInteger = false
        var cell: @Sendable (RowContext) -> String
    }

    /// The columns, left to right. When the table is narrow the lowest priority goes first:
    /// at 80 columns layer, bits, scheme, gran, sparsity, SQNR and bytes stay.
    /// `name` without a last `/OP` part when it names the layer's operator and more is left
    /// (PyTorch exports name nodes `/layer1/layer1.0/conv1/Conv`; the op has its own column).
    static func shortName(_ name: String, op: String) -> String {
        let suffix = "/" + op
        guard name.hasSuffix(suffix), name.count > suffix.count + 1 else { return name }
        return String(name.dropLast(suffix.count))
    }

    static let columnTable: [Column] = [
        Column(
            summary: "layer name in the model (a long one keeps its end; a last /Op part is left out)",
            column: TableColumn(title: "layer", width: .flexible(min: 8), priority: 100, keepsEnd: true)
        ) { shortName($0.layer.name, op: $0.layer.opName) },
        Column(
            summary: "ONNX operator (Gemm, Conv, MatMul)",
            column: TableColumn(title: "op", width: .fixed(6), priority: 20)
        ) { $0.layer.opName },
        Column(
            summary: "shape of the weight tensor",
            column: TableColumn(title: "weight shape", width: .fixed(12), priority: 30)
        ) {
            $0.layer.weightShape.map(String.init).joined(separator: "×")
        },
        Column(
            summary: "number of weights",
            column: TableColumn(title: "params", width: .fixed(9), alignment: .right, priority: 40)
        ) {
            Formatting.grouped($0.layer.parameterCount)
        },
        Column(
            summary: "bits per weight, or float; +bc: bias corrected (B); +eq: equalized with the next layer (E); "
                + "+ar: learned rounding (R); combined: +ebc, +ab, +ea, +eab",
            column: TableColumn(title: "bits", width: .fixed(5), alignment: .right, priority: 95)
        ) {
            $0.settings.bitWidthLabelWithCorrections
        },
        Column(
            summary: "quantization scheme (see Schemes)",
            column: TableColumn(title: "scheme", width: .fixed(14), priority: 90)
        ) { $0.settings.schemeLabel },
        Column(
            summary: "scale per tensor, channel or group",
            column: TableColumn(title: "gran", width: .fixed(9), priority: 80)
        ) { $0.settings.granularityLabel },
        Column(
            summary: "clipping: minmax, pNN percentile, mse",
            column: TableColumn(title: "range", width: .fixed(6), priority: 60)
        ) { $0.settings.rangeLabel },
        Column(
            summary: "rounding: half-even, stochastic or learned",
            column: TableColumn(title: "round", width: .fixed(7), priority: 10)
        ) { $0.settings.roundingLabel },
        Column(
            summary: "pruning rule: |w| ≤ t, N %, N:M",
            column: TableColumn(title: "prune", width: .fixed(11), priority: 70)
        ) { $0.settings.pruningLabel },
        Column(
            summary: "activation bits, or — for float",
            column: TableColumn(title: "act", width: .fixed(5), alignment: .right, priority: 35)
        ) {
            $0.settings.activationBits.map(String.init) ?? "—"
        },
        Column(
            summary: "activation range calibration", column: TableColumn(title: "calib", width: .fixed(10), priority: 5)
        ) {
            $0.settings.activationBits == nil ? "—" : $0.settings.calibration.rawValue
        },
        Column(
            summary: "share of weights that are exactly 0",
            column: TableColumn(title: "sparsity", width: .fixed(8), alignment: .right, priority: 72)
        ) {
            $0.report.map { String(format: "%.1f%%", $0.metrics.sparsity * 100) } ?? "…"
        },
        Column(
            summary: "signal-to-quantization-noise ratio",
            column: TableColumn(title: "SQNR dB", width: .fixed(8), alignment: .right, priority: 75)
        ) {
            guard let report = $0.report else { return "…" }
            return report.metrics.sqnrDecibels.map { String(format: "%.1f", $0) } ?? "∞"
        },
        Column(
            summary: "Δ top-1 (points) with only this layer at 4 bits of its scheme (the pane below has every width)",
            column: TableColumn(title: "Δ4b pt", width: .fixed(6), alignment: .right, priority: 78),
            needsAnalysis: true
        ) {
            $0.sensitivity.map(SensitivityState.compactFigure) ?? "…"
        },
        Column(
            summary: "RMSE/scale of the weights (uniform rounding: 0.289; ! above 0.7: clipped or too coarse)",
            column: TableColumn(title: "rmse/s", width: .fixed(6), alignment: .right, priority: 45),
            needsAnalysis: true
        ) {
            guard let health = $0.health else { return "…" }
            guard let value = health else { return "—" }
            return String(format: "%.2f", value) + (LayerHealth.isSuspect(value) ? "!" : "")
        },
        Column(
            summary: "integer mode (i): the layer's int8 milliseconds per image, one image alone (median of runs)",
            column: TableColumn(title: "int ms", width: .fixed(7), alignment: .right, priority: 50),
            needsInteger: true
        ) {
            $0.latency.map { IntegerModeText.milliseconds($0.integerMs) } ?? "…"
        },
        Column(
            summary: "integer mode (i): how many times faster the layer runs as int8 than in float",
            column: TableColumn(title: "×float", width: .fixed(6), alignment: .right, priority: 48),
            needsInteger: true
        ) {
            $0.latency.map { String(format: "%.1f×", $0.speedup) } ?? "…"
        },
        Column(
            summary: "stored bytes (dense or bitmap)",
            column: TableColumn(title: "bytes", width: .fixed(10), alignment: .right, priority: 85)
        ) {
            $0.report.map { Formatting.grouped($0.size.quantizedBytes) } ?? "…"
        },
    ]

    /// The columns shown: the sensitivity ones only when the session runs an analysis, the
    /// latency ones only in integer mode.
    static func shownColumns(isAnalysed: Bool, isInteger: Bool = false) -> [Column] {
        columnTable.filter { (isAnalysed || !$0.needsAnalysis) && (isInteger || !$0.needsInteger) }
    }

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let marked = state.marked.isEmpty ? "" : " · \(state.marked.count) marked \(glyphs.marker)"
        let progress = state.sensitivity.progress(
            state.layers.map(\.name), plan: state.plan, generation: state.evaluation.generation)
        let frame = Frame(
            title: "Layers", info: "\(state.layers.count) layers\(marked)\(progress.map { " · \($0)" } ?? "")",
            isFocused: true, glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        table(width: inner.width).render(in: inner, into: &buffer)
    }

    /// The table widget for the current state.
    func table(width: Int) -> TableView {
        let shown = Self.shownColumns(isAnalysed: state.sensitivity.isEnabled, isInteger: state.integer.isEnabled)
        let latency = state.integer.measured(for: state.evaluation.generation)?.1.layers ?? []
        let rows = state.layers.map { layer -> [String] in
            let settings = state.plan.settings(for: layer.name)
            let report = state.quantized?.report(for: layer.name).flatMap { $0.settings == settings ? $0 : nil }
            let sensitivity = state.sensitivity
            let context = RowContext(
                layer: layer, settings: settings, report: report,
                sensitivity: sensitivity.entries(for: layer.name, plan: state.plan),
                health: sensitivity.health(of: layer.name, generation: state.evaluation.generation, plan: state.plan),
                latency: latency.first { $0.name == layer.name })
            return shown.map { glyphs.text($0.cell(context)) }
        }
        let markedRows = Set(state.layers.indices.filter { state.marked.contains(state.layers[$0].name) })
        return TableView(
            columns: shown.map(\.column), rows: rows, selectedRow: state.layers.isEmpty ? nil : state.selectedIndex,
            markedRows: markedRows, scrollOffset: state.scrollOffset,
            emptyMessage: "the model has no quantizable layers",
            glyphs: glyphs)
    }
}

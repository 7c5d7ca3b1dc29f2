import Foundation
import QuantCore

/// Builds the whole screen from `AppState` every frame: title, layer table, histogram, accuracy,
/// size, status bar, and any overlay. The only state it keeps is a cache of histogram data.
public final class DashboardView: @unchecked Sendable {
    private var histogramCache: [HistogramKey: HistogramData] = [:]
    private let lock = NSLock()

    private struct HistogramKey: Hashable {
        var layer: String
        var settings: LayerSettings?
        var binCount: Int
    }

    /// Creates a view.
    public init() {}

    /// Draws `state` into `buffer`.
    public func render(_ state: AppState, capabilities: TerminalCapabilities, into buffer: inout ScreenBuffer) {
        let glyphs = GlyphSet.matching(capabilities)
        let screen = buffer.area
        let minimum = DashboardLayout.minimumSize
        guard screen.width >= minimum.width, screen.height >= minimum.height else {
            TooSmallView(have: screen.size, need: minimum, glyphs: glyphs).render(in: screen, into: &buffer)
            if !capabilities.isUnicode { buffer.mapSymbols(SymbolFallback.ascii(for:)) }
            return
        }
        let layout = DashboardLayout(screen: screen.size, layerCount: state.layers.count)
        renderTitle(state, in: layout.title, into: &buffer)
        LayerTablePane(state: state, glyphs: glyphs).render(in: layout.table, into: &buffer)
        var histogramArea = layout.histogram
        if state.sensitivity.isEnabled {
            // The selected layer's sensitivity under its histogram: at most half of it.
            let height = min(SensitivityPane.preferredHeight, histogramArea.height / 2)
            let (top, bottom) = histogramArea.splitBottom(height)
            histogramArea = top
            SensitivityPane(state: state, glyphs: glyphs).render(in: bottom, into: &buffer)
        }
        renderHistogram(state, glyphs: glyphs, in: histogramArea, into: &buffer)
        AccuracyPane(state: state, glyphs: glyphs).render(in: layout.accuracy, into: &buffer)
        SizePane(state: state, glyphs: glyphs).render(in: layout.size, into: &buffer)
        StatusBarView(
            sessionName: state.sessionName ?? "unsaved session", hasUnsavedChanges: state.hasUnsavedChanges,
            hints: Keymap.standard.hints.map {
                (key: KeyNames.name($0.key, isUnicode: capabilities.isUnicode), label: $0.label)
            },
            message: statusMessage(state).map { glyphs.text($0.text) }, isError: statusMessage(state)?.isError ?? false,
            glyphs: glyphs
        ).render(in: layout.status, into: &buffer)
        if case .pareto(let selected) = state.overlay {
            ParetoPane(state: state, selected: selected, glyphs: glyphs).render(in: screen, into: &buffer)
        } else if state.overlay == .search {
            SearchView.dialog(state, glyphs: glyphs).render(in: screen, into: &buffer)
        } else if let overlay = state.overlay {
            OverlayView(
                overlay: overlay, glyphs: glyphs, isUnicode: capabilities.isUnicode, sessionName: state.sessionName,
                messages: state.messageLog
            ).render(in: screen, into: &buffer)
        }
        if !capabilities.isUnicode {
            // Widgets already draw ASCII glyphs; this catches text (×, —, ·, Δ, …) as well.
            buffer.mapSymbols(SymbolFallback.ascii(for:))
        }
    }

    /// The status bar's message: the last one, else a standing autosave failure.
    func statusMessage(_ state: AppState) -> StatusMessage? {
        state.message ?? state.autosaveFailure.map { StatusMessage("not autosaved: \($0)", isError: true) }
    }

    /// The action a mouse event means at its position, if any.
    public func action(for mouse: MouseEvent, state: AppState) -> Action? {
        guard state.overlay == nil, !Reducer.isTooSmall(state) else { return nil }
        switch mouse.kind {
        case .scrollUp: return .moveSelection(by: -1)
        case .scrollDown: return .moveSelection(by: 1)
        case .press:
            let layout = DashboardLayout(screen: state.screenSize, layerCount: state.layers.count)
            let inner = Frame().inner(of: layout.table)
            let table = LayerTablePane(state: state, glyphs: .unicode).table(width: inner.width)
            guard let row = table.rowIndex(atScreenRow: mouse.row, in: inner),
                inner.contains(column: mouse.column, row: mouse.row)
            else { return nil }
            return .selectLayer(index: row)
        }
    }

    private func renderTitle(_ state: AppState, in area: Rect, into buffer: inout ScreenBuffer) {
        buffer.fill(area, with: Cell(" ", style: .reverse))
        let count = state.floatAccuracy.map { " (\($0.count) held-out)" } ?? ""
        let title = " quantdash · \(state.modelName) · \(state.dataName)\(count)"
        buffer.write(title, column: area.x, row: area.y, style: Style.reverse.adding(.bold), clip: area)
        let help = "? help "
        buffer.write(help, column: area.right - help.count, row: area.y, style: .reverse, clip: area)
    }

    private func renderHistogram(_ state: AppState, glyphs: GlyphSet, in area: Rect, into buffer: inout ScreenBuffer) {
        guard let layer = state.selectedLayer else { return }
        let settings = state.plan.settings(for: layer.name)
        var describe =
            settings.bitWidth == nil
            ? "float" : "\(settings.bitWidthLabel)-bit \(settings.schemeLabel) \(settings.granularityLabel)"
        if settings.rangeLabel != "—", settings.range != .minMax { describe += " \(settings.rangeLabel)" }
        if case .stochastic = settings.rounding, settings.bitWidth != nil { describe += " \(settings.roundingLabel)" }
        if settings.activationBits != nil { describe += " · act \(settings.activationCalibrationLabel)" }
        if settings.biasCorrection, !settings.isFloat { describe += " · bias corrected" }
        if settings.equalize { describe += " · equalized with \(state.equalizationPartners[layer.name] ?? "next")" }
        if let first = state.layers.first(where: {
            state.plan.settings(for: $0.name).equalize && state.equalizationPartners[$0.name] == layer.name
        }) {
            describe += " · equalized with \(first.name)"
        }
        if settings.rounding == .learned, settings.bitWidth != nil { describe += " · learned rounding" }
        let scale = state.histogramScale == .log ? "log" : "linear"
        let frame = Frame(title: "Histogram · \(layer.name)", info: "\(describe) · \(scale)", glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area)
        guard !inner.isEmpty, let report = state.quantized?.report(for: layer.name), report.settings == settings
        else {
            if let failure = state.planFailure, failure.plan == state.plan {
                // Refused (no calibration data, …): say so instead of waiting for a result that will not come.
                let lines = TextFitting.wrapped("not applied: \(failure.message)", width: max(inner.width - 2, 1))
                for (offset, line) in lines.prefix(inner.height).enumerated() {
                    buffer.write(
                        line, column: inner.x + 1, row: inner.y + offset, style: Style(foreground: .red), clip: inner)
                }
                return
            }
            buffer.write("quantizing…", column: inner.x + 1, row: inner.y, style: .dim, clip: inner)
            return
        }
        let data = histogram(for: report, binCount: HistogramView.binCount(forWidth: inner.width))
        HistogramView(data: data, scale: state.histogramScale == .log ? .log : .linear, glyphs: glyphs)
            .render(in: inner, into: &buffer)
    }

    /// Histogram data for a layer report at a bin count, cached (recomputed only when the
    /// settings or the pane width change).
    func histogram(for report: LayerReport, binCount: Int) -> HistogramData {
        let key = HistogramKey(layer: report.layer.name, settings: report.settings, binCount: binCount)
        if let cached = lock.withLock({ histogramCache[key] }) { return cached }
        let histogram = report.histogram(binCount: binCount)
        let data = HistogramData(
            binEdges: histogram.binEdges, floatCounts: histogram.floatCounts,
            quantizedCounts: histogram.dequantizedCounts, levels: report.quantized == nil ? [] : histogram.levels,
            prunedBand: histogram.prunedBand, levelsAreCapped: histogram.levelsAreCapped)
        lock.withLock {
            if histogramCache.count > 64 { histogramCache.removeAll() }
            histogramCache[key] = data
        }
        return data
    }
}

/// Key names as the screen can show them: arrows become words without Unicode.
enum KeyNames {
    /// `"↑"` or `"Up"`.
    static func name(_ description: String, isUnicode: Bool) -> String {
        guard !isUnicode else { return description }
        return description.replacingOccurrences(of: "↑", with: "Up").replacingOccurrences(of: "↓", with: "Down")
            .replacingOccurrences(of: "←", with: "Left").replacingOccurrences(of: "→", with: "Right")
    }
}

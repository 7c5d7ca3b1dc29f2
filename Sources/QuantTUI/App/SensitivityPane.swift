import Foundation
import QuantCore

/// The selected layer's sensitivity: Δ top-1 against float with only this layer at each menu
/// width, its paired 95 % interval and the layer's bytes, one column per width (the planned
/// width in brackets); then what this layer costs with the rest as planned, and where the
/// plan's drop comes from (weights or activations).
///
/// ```
/// ┌─ Sensitivity · fc2 ────────── only this layer vs float ┐
/// │ bits        8      6    [4]      3      2               │
/// │ Δ pt     +0.0   −0.1   −0.5   −3.2  −37.0               │
/// │ ±95 pt    0.1    0.2    0.4    1.1    3.0               │
/// │ bytes     33K    25K    17K    13K   8.5K               │
/// │ this one float, rest as planned: +0.4 pt vs plan        │
/// │ drop mostly from weights: −3.1 pt weights only, …       │
/// └─────────────────────────────────────────────────────────┘
/// ```
/// A short pane keeps the first rows (widths, Δ, bytes, then the diagnosis); a narrow one
/// narrows the columns.
struct SensitivityPane: Widget {
    /// The state shown.
    var state: AppState
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    /// Rows wanted: the frame and six lines.
    static let preferredHeight = 8

    /// One line of the pane with its priority (lower stays longer) and style.
    typealias Line = (text: String, priority: Int, style: Style)

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard let layer = state.selectedLayer else { return }
        let frame = Frame(title: "Sensitivity · \(layer.name)", info: "only this layer vs float", glyphs: glyphs)
        frame.render(in: area, into: &buffer)
        let inner = frame.inner(of: area).inset(left: 1, right: 1)
        guard !inner.isEmpty else { return }
        let lines = Self.lines(state, layer: layer.name, width: inner.width)
        let kept = Set(lines.indices.sorted { lines[$0].priority < lines[$1].priority }.prefix(inner.height))
        var row = inner.y
        for index in lines.indices where kept.contains(index) {
            let text = TextFitting.truncated(glyphs.text(lines[index].text), to: inner.width, ellipsis: glyphs.ellipsis)
            buffer.write(text, column: inner.x, row: row, style: lines[index].style, clip: inner)
            row += 1
        }
    }

    /// The pane's lines for `layer` in a text area `width` wide, in display order.
    static func lines(_ state: AppState, layer: String, width: Int) -> [Line] {
        let sensitivity = state.sensitivity
        let generation = state.evaluation.generation
        var lines: [Line] = []
        if let entries = sensitivity.entries(for: layer, plan: state.plan), !entries.isEmpty {
            let labelWidth = 7
            let cell = min(max((width - labelWidth) / entries.count, 5), 8)
            func row(_ label: String, _ values: [String]) -> String {
                label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
                    + values.map { String(repeating: " ", count: max(cell - $0.count, 1)) + $0 }.joined()
            }
            let planned = state.plan.settings(for: layer)
            // The planned width in brackets: `[4]`.
            let widths = entries.map { entry -> String in
                let label = entry.option.bits.map(String.init) ?? "fp"
                let isPlanned = entry.option.sparsity == nil && entry.option.bits == planned.bitWidth
                return isPlanned ? "[\(label)]" : entry.option.sparsity == nil ? label : "\(entry.option)"
            }
            lines.append((row("bits", widths), 1, .bold))
            lines.append((row("Δ pt", entries.map { SensitivityState.signed($0.figure.deltaPoints) }), 2, .plain))
            lines.append(
                (
                    row(
                        "±95 pt",
                        entries.map {
                            let interval = $0.figure.interval95Points
                            return String(format: "%.1f", ((interval.last ?? 0) - (interval.first ?? 0)) / 2)
                        }), 6, .dim
                ))
            lines.append((row("bytes", entries.map { compactBytes($0.layerBytes) }), 3, .plain))
        } else {
            let progress =
                sensitivity.progress(state.layers.map(\.name), plan: state.plan, generation: generation)
                ?? "sensitivity"
            lines.append(("measuring this layer… (\(progress))", 1, .dim))
        }
        let isPlannedFloat = state.plan.settings(for: layer) == .float
        if case .some(.some(let health)) = sensitivity.health(of: layer, generation: generation, plan: state.plan) {
            let verdict =
                LayerHealth.isSuspect(health) ? "suspect: clipped or too coarse" : "ideal 0.289, > 0.7 suspect"
            lines.append(("RMSE/scale " + String(format: "%.2f", health) + " (\(verdict))", 7, .plain))
        }
        if !isPlannedFloat, sensitivity.generation == generation, let without = sensitivity.allButThis[layer] {
            let delta = SensitivityState.points(without.versusPlan.delta * 100)
            lines.append(("this one float, rest as planned: \(delta) vs plan", 5, .plain))
        }
        if let diagnosis = sensitivity.diagnosis(generation: generation, plan: state.plan) {
            lines.append((diagnosis, 4, .plain))
        }
        return lines
    }

    /// `512B`, `8.5K`, `33K`, `1.2M`: bytes in at most five characters.
    static func compactBytes(_ count: Int) -> String {
        let value = Double(count)
        if count < 1000 { return "\(count)B" }
        if value < 10 * 1024 { return String(format: "%.1fK", value / 1024) }
        if value < 1000 * 1024 { return String(format: "%.0fK", value / 1024) }
        if value < 10 * 1024 * 1024 { return String(format: "%.1fM", value / (1024 * 1024)) }
        return String(format: "%.0fM", value / (1024 * 1024))
    }
}

import Foundation
import QuantCore

/// Which plans are on the size/accuracy front.
enum ParetoFront {
    /// Indices of `points` by size, smallest first (ties: most accurate first).
    static func orderBySize(_ points: [PlanPoint]) -> [Int] {
        points.indices.sorted {
            (points[$0].bytes, -points[$0].accuracy, $0) < (points[$1].bytes, -points[$1].accuracy, $1)
        }
    }

    /// Indices of the points no other point beats: none is as small and more accurate, or
    /// smaller and as accurate.
    static func front(_ points: [PlanPoint]) -> Set<Int> {
        var result = Set<Int>()
        var best = -Double.infinity
        for index in orderBySize(points) where points[index].accuracy > best {
            result.insert(index)
            best = points[index].accuracy
        }
        return result
    }
}

/// The Pareto view (`P`, issue 14.5): every plan evaluated this session as a point, stored size
/// (log scale) against accuracy, the front in green, the current plan marked, the chosen point
/// described below; Enter makes it current. Your plans are measured on the held-out set, the
/// search's on its validation split (drawn apart: `•` and `+`).
///
/// ```
/// ┌─ Plans evaluated: size vs accuracy ───────────────────────────┐
/// │ 97.9 %┤                       ●        ◆                      │
/// │ float ┼┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈┈│
/// │ 61.2 %┤ ●                                                     │
/// │       └ 26.1 KiB ─────────────────────────────────── 918 KiB  │
/// │ ▶ 53.7 KiB · top-1 97.1 % (held-out) · on the front            │
/// │ ←→ choose · Enter make current · Esc close                     │
/// ```
struct ParetoPane: Widget {
    /// The state shown.
    var state: AppState
    /// The chosen point (an index into `state.planPoints`).
    var selected: Int
    /// Unicode or ASCII.
    var glyphs: GlyphSet

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let width = min(area.width - 2, 110)
        let height = min(area.height - 2, 30)
        guard width >= 30, height >= 8 else { return }
        let box = Rect(
            x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        buffer.fill(box)
        let frame = Frame(title: "Plans evaluated: size vs accuracy", info: "\(state.planPoints.count)", glyphs: glyphs)
        frame.render(in: box, into: &buffer)
        let inner = frame.inner(of: box).inset(left: 1, right: 1)
        let points = state.planPoints
        let isASCII = glyphs == .ascii
        let footer =
            isASCII ? "<- -> choose · Enter make current · Esc close" : "←→ choose · Enter make current · Esc close"
        buffer.write(footer, column: inner.x, row: inner.bottom - 1, style: .dim, clip: inner)
        guard !points.isEmpty else {
            buffer.write("no plan evaluated yet", column: inner.x, row: inner.y, style: .dim, clip: inner)
            return
        }
        let labelWidth = 7
        let chart = Rect(x: inner.x + labelWidth, y: inner.y, width: inner.width - labelWidth, height: inner.height - 4)
        guard chart.width >= 8, chart.height >= 2 else { return }
        let isFidelity = AccuracyPane.showsFidelity(state)
        let float = isFidelity ? 1.0 : state.floatAccuracy?.top1
        var low = points.map(\.accuracy).min() ?? 0
        var high = points.map(\.accuracy).max() ?? 1
        if let float {
            low = min(low, float)
            high = max(high, float)
        }
        if high - low < 1e-6 { (low, high) = (low - 0.005, high + 0.005) }
        let smallest = Double(max(points.map(\.bytes).min() ?? 1, 1))
        let largest = Double(max(points.map(\.bytes).max() ?? 1, 1))
        let span = log(largest) - log(smallest)
        func column(_ bytes: Int) -> Int {
            guard span > 1e-9 else { return chart.x + chart.width / 2 }
            let fraction = (log(Double(max(bytes, 1))) - log(smallest)) / span
            return chart.x + Int((fraction * Double(chart.width - 1)).rounded())
        }
        func row(_ accuracy: Double) -> Int {
            let fraction = (accuracy - low) / (high - low)
            return chart.bottom - 1 - Int((fraction * Double(chart.height - 1)).rounded())
        }
        // Axes: accuracy labels at the top and bottom, the float line, sizes under the chart.
        let axisStyle = Style.dim
        for y in chart.y..<chart.bottom {
            buffer.write(isASCII ? "|" : "┤", column: chart.x - 1, row: y, style: axisStyle, clip: inner)
        }
        buffer.write(
            String(format: "%5.1f%%", high * 100), column: inner.x, row: chart.y, style: axisStyle, clip: inner)
        buffer.write(
            String(format: "%5.1f%%", low * 100), column: inner.x, row: chart.bottom - 1, style: axisStyle, clip: inner)
        if let float {
            let y = row(float)
            for x in chart.x..<chart.right where buffer[x, y].symbol == " " {
                buffer.write(isASCII ? "." : "┈", column: x, row: y, style: axisStyle, clip: inner)
            }
            if y != chart.y, y != chart.bottom - 1 {
                buffer.write(" float", column: inner.x, row: y, style: axisStyle, clip: inner)
            }
        }
        let axisRow = chart.bottom
        let right = Formatting.bytes(Int(largest))
        buffer.write(
            (isASCII ? "+ " : "└ ") + Formatting.bytes(Int(smallest)), column: chart.x - 1, row: axisRow,
            style: axisStyle,
            clip: inner)
        buffer.write(right, column: chart.right - right.count, row: axisRow, style: axisStyle, clip: inner)
        // Points: the others first, then the front, the current plan and the chosen one on top.
        let front = ParetoFront.front(points)
        let current = Reducer.currentPointIndex(state)
        let order = points.indices.sorted {
            rank($0, front: front, current: current) < rank($1, front: front, current: current)
        }
        for index in order {
            let point = points[index]
            let isFront = front.contains(index)
            var symbol = point.source == .heldOut ? (isASCII ? "o" : "•") : "+"
            var style = isFront ? Style(foreground: .green, attributes: .bold) : Style.plain
            if index == current {
                symbol = isASCII ? "@" : "◆"
                style = Style(foreground: .cyan, attributes: .bold)
            }
            if index == selected { style.attributes.insert(.reverse) }
            buffer.write(symbol, column: column(point.bytes), row: row(point.accuracy), style: style, clip: chart)
        }
        if points.indices.contains(selected) {
            let point = points[selected]
            let ratio =
                (state.quantized?.size.floatBytes).map {
                    String(format: " (%.1f%@)", Double($0) / Double(max(point.bytes, 1)), isASCII ? "x" : "×")
                } ?? ""
            var text = (isASCII ? "> " : "▶ ") + Formatting.bytes(point.bytes) + ratio + " · "
            text += String(format: "%@ %.2f %%", isFidelity ? "agreement" : "top-1", point.accuracy * 100)
            text += point.source == .heldOut ? " (held-out)" : " (search, validation)"
            if front.contains(selected) { text += " · on the front" }
            if selected == current { text += " · current" }
            buffer.write(text, column: inner.x, row: axisRow + 1, style: .bold, clip: inner)
            let legend =
                isASCII
                ? "o yours (held-out)  + search (validation)  @ current  green: front"
                : "• yours (held-out)  + search (validation)  ◆ current  green: front"
            buffer.write(legend, column: inner.x, row: axisRow + 2, style: .dim, clip: inner)
        }
    }

    /// Drawing order: plain points, then the front, the current plan, the chosen point.
    private func rank(_ index: Int, front: Set<Int>, current: Int?) -> Int {
        if index == selected { return 3 }
        if index == current { return 2 }
        return front.contains(index) ? 1 : 0
    }
}

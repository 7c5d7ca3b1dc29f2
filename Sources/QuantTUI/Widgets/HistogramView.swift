import Foundation

/// The weight histogram: float weights above an axis of quantization levels, dequantized weights
/// hanging below it, mirrored, with the pruned band shaded.
///
/// ```
///  381│             ▁▂▇▇█▆▅▂         float
///     │           ▂▂████████▆▃    ░ pruned
///     │         ▁▅████████████▇▆▃▁
///     │ ▁▁▂▂▃▄▆███████████████████▇▅▃▁▁▁▁▁
///     ┼┬─┬─┬──┬─┬──┬─┬─░┬░┬──┬─┬──┬──┬─┬─┬
///     │▔ ▔ ▀  █  █ █ █ ░█░ █ █  █ █  ▔ ▔ ▔
///     │          ▀ █ █ ░█░ █ █  ▀
///     │            ▀ █ ░█░ █ ▀   quantized
///  903│              █ ░█░ ▀     15 levels
///      -0.49            0             0.49
/// ```
/// (5000 bell-shaped weights, 4-bit symmetric, |w| ≤ 0.03 pruned, 40×10.)
///
/// Why mirrored: quantized weights pile onto a few levels, so their counts dwarf the float
/// counts per bin. Two halves give each series its own scale (its maximum is labelled at the
/// outer end of its half), keep both shapes readable at 2-bit and at 8-bit alike, and put every
/// level tick right between the float mass it rounds and the spike it becomes.
///
/// Rows, top to bottom: float bars (eighth-block resolution), the level axis (`┬` per column
/// holding one level; `━` everywhere when levels outnumber columns; `<`/`>` at an end when levels
/// lie outside the range; `░` across the pruned band; `log` at its left in log scale),
/// dequantized bars (half-cell resolution, hanging), and the x-axis values (min, 0, max).
/// Empty plot cells in the pruned band are shaded `░`. A legend (`float`, `░ pruned`,
/// `quantized`, `N levels`) is written only over blank cells.
///
/// Bins: compute `binCount(forWidth:)` bins for the pane so each gets one column; any other
/// count still draws (several bins per column are summed, one bin over several columns repeats).
///
/// Degrades by named thresholds: below `minimumWidthForLabels` the count labels go; below 4
/// rows the x values go, below 3 the dequantized half, below 2 the axis.
public struct HistogramView: Widget, Sendable {
    /// How counts map to bar heights.
    public enum Scale: Sendable, Equatable, Hashable {
        /// Height proportional to the count.
        case linear
        /// Height proportional to log(1 + count): small counts stay visible.
        case log
    }

    /// What to draw.
    public var data: HistogramData
    /// Linear or logarithmic heights.
    public var scale: Scale
    /// Characters (Unicode blocks or ASCII).
    public var glyphs: GlyphSet
    /// Float bars.
    public var floatStyle: Style
    /// Dequantized bars and level ticks.
    public var quantizedStyle: Style
    /// Pruned band shading.
    public var prunedStyle: Style

    /// Columns taken by the count labels and the vertical axis (4 + 1).
    public static let labelWidth = 5
    /// Narrower panes drop the count labels and the vertical axis.
    public static let minimumWidthForLabels = 16

    /// Creates a histogram view.
    public init(
        data: HistogramData, scale: Scale = .linear, glyphs: GlyphSet = .unicode,
        floatStyle: Style = Style(foreground: .cyan), quantizedStyle: Style = Style(foreground: .yellow),
        prunedStyle: Style = Style(foreground: .red, attributes: .dim)
    ) {
        self.data = data
        self.scale = scale
        self.glyphs = glyphs
        self.floatStyle = floatStyle
        self.quantizedStyle = quantizedStyle
        self.prunedStyle = prunedStyle
    }

    /// The number of plot columns in a pane `width` columns wide (at least 1): compute this many
    /// bins so that every bin gets exactly one column.
    public static func binCount(forWidth width: Int) -> Int {
        max(width >= minimumWidthForLabels ? width - labelWidth : width, 1)
    }

    /// Where each part goes in an area.
    struct Geometry {
        /// Columns of the bars (and of the axis and x values).
        var plot: Rect
        /// Float bars.
        var floatRows: Rect
        /// The level axis row, if there is room.
        var axisRow: Int?
        /// Dequantized bars.
        var quantizedRows: Rect
        /// The x-axis values row, if there is room.
        var valueRow: Int?
        /// Whether the count labels and vertical axis are drawn (left of `plot`).
        var hasLabels: Bool

        /// Splits `area` by the thresholds in the type's documentation.
        init(area: Rect) {
            hasLabels = area.width >= HistogramView.minimumWidthForLabels
            let plotX = hasLabels ? area.x + HistogramView.labelWidth : area.x
            let height = area.height
            let hasAxis = height >= 2
            let hasValues = height >= 4
            let barRows = max(height - (hasAxis ? 1 : 0) - (hasValues ? 1 : 0), 0)
            let floatHeight = height >= 3 ? (barRows + 1) / 2 : barRows
            let quantizedHeight = barRows - floatHeight
            let width = area.right - plotX
            plot = Rect(x: plotX, y: area.y, width: width, height: height)
            floatRows = Rect(x: plotX, y: area.y, width: width, height: floatHeight)
            axisRow = hasAxis ? area.y + floatHeight : nil
            quantizedRows = Rect(x: plotX, y: area.y + floatHeight + 1, width: width, height: quantizedHeight)
            valueRow = hasValues ? area.bottom - 1 : nil
        }
    }

    /// Draws the histogram inside `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        let geometry = Geometry(area: area)
        let columns = HistogramColumns(width: geometry.plot.width, range: data.range)
        let floatCounts = columns.resample(data.floatCounts)
        let quantizedCounts = columns.resample(data.quantizedCounts)
        let band = data.prunedBand.flatMap { columns.columns(of: $0) }

        drawBars(floatCounts, in: geometry.floatRows, isHanging: false, style: floatStyle, into: &buffer)
        drawBars(quantizedCounts, in: geometry.quantizedRows, isHanging: true, style: quantizedStyle, into: &buffer)
        if let band {
            shade(band, rows: [geometry.floatRows, geometry.quantizedRows], into: &buffer)
        }
        let levelColumns = data.levels.compactMap { columns.column(of: $0) }
        if let axisRow = geometry.axisRow {
            drawAxis(
                row: axisRow, geometry: geometry, columns: columns, levelColumns: levelColumns, band: band,
                into: &buffer)
        }
        if geometry.hasLabels, !data.isEmpty {
            drawCountLabels(
                geometry: geometry, floatMax: floatCounts.max() ?? 0, quantizedMax: quantizedCounts.max() ?? 0,
                in: area, into: &buffer)
        }
        if let valueRow = geometry.valueRow {
            drawValues(row: valueRow, plot: geometry.plot, columns: columns, into: &buffer)
        }
        if data.isEmpty {
            let message = TextFitting.truncated("no data", to: geometry.plot.width, ellipsis: glyphs.ellipsis)
            let target = geometry.floatRows.isEmpty ? geometry.plot : geometry.floatRows
            let column = target.x + (target.width - message.count) / 2
            buffer.write(message, column: column, row: target.y + target.height / 2, style: .dim, in: target)
        } else {
            drawLegend(geometry: geometry, hasBand: band != nil, levelCount: levelColumns.count, into: &buffer)
        }
    }

    /// The height of a bar in eighths of a cell for `rows` rows; any positive count shows.
    func eighths(_ count: Int, maximum: Int, rows: Int) -> Int {
        guard count > 0, maximum > 0, rows > 0 else { return 0 }
        let total = rows * 8
        let fraction: Double
        switch scale {
        case .linear: fraction = Double(count) / Double(maximum)
        case .log: fraction = Foundation.log1p(Double(count)) / Foundation.log1p(Double(maximum))
        }
        let height = Int((fraction * Double(total)).rounded())
        return min(max(height, 1), total)
    }

    /// One bar per column: growing up from the bottom of `rect`, or hanging from its top.
    private func drawBars(
        _ counts: [Int], in rect: Rect, isHanging: Bool, style: Style, into buffer: inout ScreenBuffer
    ) {
        guard !rect.isEmpty else { return }
        let maximum = counts.max() ?? 0
        for (offset, count) in counts.enumerated() {
            let height = eighths(count, maximum: maximum, rows: rect.height)
            guard height > 0 else { continue }
            for step in 0..<rect.height {
                let filled = min(max(height - step * 8, 0), 8)
                guard filled > 0 else { break }
                let symbol = isHanging ? glyphs.downward(filled) : glyphs.upward(filled)
                let row = isHanging ? rect.y + step : rect.bottom - 1 - step
                buffer.put(symbol, column: rect.x + offset, row: row, style: style, in: rect)
            }
        }
    }

    /// Shades the blank cells of the pruned columns.
    private func shade(_ band: ClosedRange<Int>, rows rects: [Rect], into buffer: inout ScreenBuffer) {
        for rect in rects where !rect.isEmpty {
            for column in band.map({ rect.x + $0 }) where column < rect.right {
                for row in rect.y..<rect.bottom where buffer[column, row].symbol == " " {
                    buffer.put(glyphs.shade, column: column, row: row, style: prunedStyle, in: rect)
                }
            }
        }
    }

    /// The level axis: line, pruned shading, level ticks, out-of-range arrows, crossing, `log`.
    private func drawAxis(
        row: Int, geometry: Geometry, columns: HistogramColumns, levelColumns: [Int], band: ClosedRange<Int>?,
        into buffer: inout ScreenBuffer
    ) {
        let plot = Rect(x: geometry.plot.x, y: row, width: geometry.plot.width, height: 1)
        buffer.write(
            String(repeating: glyphs.horizontal, count: plot.width), column: plot.x, row: row, style: .dim, in: plot)
        if let band {
            for column in band {
                buffer.put(glyphs.shade, column: plot.x + column, row: row, style: prunedStyle, in: plot)
            }
        }
        let distinct = Set(levelColumns)
        let tick = levelColumns.count > distinct.count ? glyphs.denseLevels : glyphs.tickDown
        for column in distinct {
            buffer.put(tick, column: plot.x + column, row: row, style: quantizedStyle.adding(.bold), in: plot)
        }
        if data.levels.contains(where: columns.isBelow) {
            buffer.put("<", column: plot.x, row: row, style: quantizedStyle.adding(.bold), in: plot)
        }
        if data.levels.contains(where: columns.isAbove) {
            buffer.put(">", column: plot.right - 1, row: row, style: quantizedStyle.adding(.bold), in: plot)
        }
        guard geometry.hasLabels else { return }
        let labels = Rect(x: plot.x - HistogramView.labelWidth, y: row, width: HistogramView.labelWidth, height: 1)
        if scale == .log {
            buffer.write(" log", column: labels.x, row: row, style: .dim, in: labels)
        }
        buffer.put(glyphs.cross, column: labels.right - 1, row: row, style: .dim, in: labels)
    }

    /// The vertical axis and the maximum count of each half at its outer end.
    private func drawCountLabels(
        geometry: Geometry, floatMax: Int, quantizedMax: Int, in area: Rect, into buffer: inout ScreenBuffer
    ) {
        let labelColumn = area.x
        let axisColumn = area.x + HistogramView.labelWidth - 1
        for rect in [geometry.floatRows, geometry.quantizedRows] where !rect.isEmpty {
            for row in rect.y..<rect.bottom {
                buffer.put(glyphs.vertical, column: axisColumn, row: row, style: .dim, in: area)
            }
        }
        let labels = [
            (geometry.floatRows, floatMax, geometry.floatRows.y),
            (geometry.quantizedRows, quantizedMax, geometry.quantizedRows.bottom - 1),
        ]
        for (rect, maximum, row) in labels where !rect.isEmpty {
            let text = TextFitting.fitted(
                TextFitting.compactCount(maximum), to: HistogramView.labelWidth - 1, alignment: .right,
                ellipsis: glyphs.ellipsis)
            buffer.write(text, column: labelColumn, row: row, style: .plain, in: area)
        }
    }

    /// Min at the left, max at the right, 0 at its column when it is inside and fits.
    private func drawValues(row: Int, plot: Rect, columns: HistogramColumns, into buffer: inout ScreenBuffer) {
        guard let range = columns.range else { return }
        let line = Rect(x: plot.x, y: row, width: plot.width, height: 1)
        let lower = HistogramView.axisValue(range.lowerBound)
        let upper = HistogramView.axisValue(range.upperBound)
        guard lower.count + 1 + upper.count <= plot.width else {
            if lower.count <= plot.width {
                buffer.write(lower, column: plot.x, row: row, style: .plain, in: line)
            }
            return
        }
        buffer.write(lower, column: plot.x, row: row, style: .plain, in: line)
        buffer.write(upper, column: plot.right - upper.count, row: row, style: .plain, in: line)
        if range.lowerBound < 0, range.upperBound > 0, let zero = columns.column(of: 0),
            zero > lower.count, zero < plot.width - upper.count - 1
        {
            buffer.put("0", column: plot.x + zero, row: row, style: .plain, in: line)
        }
    }

    /// Legend words, right-aligned, each written only where every cell it needs is blank.
    private func drawLegend(geometry: Geometry, hasBand: Bool, levelCount: Int, into buffer: inout ScreenBuffer) {
        var top = [("float", floatStyle)]
        if hasBand { top.append(("\(glyphs.shade) pruned", prunedStyle)) }
        for (offset, entry) in top.enumerated() where offset < geometry.floatRows.height {
            writeIfBlank(
                entry.0, row: geometry.floatRows.y + offset, in: geometry.floatRows, style: entry.1, into: &buffer)
        }
        let count = data.levels.filter(\.isFinite).count
        let levels = "\(count)\(data.levelsAreCapped ? "+" : "") level\(count == 1 ? "" : "s")"
        let bottom = levelCount > 0 || count > 0 ? [levels, "quantized"] : ["quantized"]
        for (offset, text) in bottom.enumerated() where offset < geometry.quantizedRows.height {
            writeIfBlank(
                text, row: geometry.quantizedRows.bottom - 1 - offset, in: geometry.quantizedRows,
                style: quantizedStyle, into: &buffer)
        }
    }

    /// Writes `text` flush right in `rect` on `row` if those cells are all blank (with one blank
    /// column of margin before it).
    private func writeIfBlank(_ text: String, row: Int, in rect: Rect, style: Style, into buffer: inout ScreenBuffer) {
        let start = rect.right - text.count
        guard start - 1 >= rect.x else { return }
        guard (start - 1..<rect.right).allSatisfy({ buffer[$0, row].symbol == " " }) else { return }
        buffer.write(text, column: start, row: row, style: style, in: rect)
    }

    /// A value in at most about 7 columns, 3 significant digits: `-0.523`, `0.51`, `1.2e-05`→`1.2e-5`.
    static func axisValue(_ value: Float) -> String {
        guard value.isFinite else { return "?" }
        if value == 0 { return "0" }
        var text = String(format: "%.3g", Double(value))
        text = text.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e")
        return text.replacingOccurrences(of: "e+", with: "e")
    }
}

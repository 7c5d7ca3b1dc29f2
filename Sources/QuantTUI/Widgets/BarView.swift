/// A horizontal bar showing a share (0…1) with eighth-cell resolution, and an optional label
/// after it.
///
/// ```
/// ███████▍  62%          fraction 0.62, label "62%", 12 columns
/// =======   62%          ASCII
/// ```
/// The bar fills every row of the area; the label sits on the middle row and is dropped when
/// fewer than 2 columns would be left for the bar.
public struct BarView: Widget, Sendable {
    /// The share to show; clamped to 0…1, NaN shows as 0.
    public var fraction: Double
    /// Text after the bar.
    public var label: String?
    /// Characters (eighth blocks or ASCII).
    public var glyphs: GlyphSet
    /// Bar style.
    public var style: Style
    /// Label style.
    public var labelStyle: Style

    /// Creates a bar.
    public init(
        fraction: Double, label: String? = nil, glyphs: GlyphSet = .unicode, style: Style = Style(foreground: .cyan),
        labelStyle: Style = .plain
    ) {
        self.fraction = fraction
        self.label = label
        self.glyphs = glyphs
        self.style = style
        self.labelStyle = labelStyle
    }

    /// The fraction clamped to 0…1.
    var clampedFraction: Double {
        fraction.isNaN ? 0 : min(max(fraction, 0), 1)
    }

    /// The bar's cells for `width` columns, e.g. `"███▍"`.
    func barText(width: Int) -> String {
        guard width > 0 else { return "" }
        let eighths = Int((clampedFraction * Double(width * 8)).rounded())
        var text = String(repeating: glyphs.rightward(8), count: eighths / 8)
        if eighths % 8 > 0 { text.append(glyphs.rightward(eighths % 8)) }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// Draws the bar and its label inside `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        var barWidth = area.width
        if let label, !label.isEmpty, area.width - label.count - 1 >= 2 {
            barWidth = area.width - label.count - 1
            buffer.write(
                label, column: area.x + barWidth + 1, row: area.y + (area.height - 1) / 2, style: labelStyle, in: area)
        }
        let text = barText(width: barWidth)
        for row in area.y..<area.bottom {
            buffer.write(text, column: area.x, row: row, style: style, in: area)
        }
    }
}

/// Labelled bars one per row, sharing one scale: "float vs current" at a glance.
///
/// ```
/// float    ██████████████▊ 98.2%
/// current  █████████████▍  91.0%
/// ```
/// Names are padded to the longest; values are right-aligned after the bars; values go first,
/// then names, when the area is narrow.
public struct GaugeView: Widget, Sendable {
    /// One bar.
    public struct Entry: Sendable, Equatable {
        /// Name at the left.
        public var name: String
        /// Share 0…1 (clamped).
        public var fraction: Double
        /// Text at the right, e.g. `"98.2%"`.
        public var value: String
        /// Bar style.
        public var style: Style

        /// Creates an entry.
        public init(name: String, fraction: Double, value: String = "", style: Style = Style(foreground: .cyan)) {
            self.name = name
            self.fraction = fraction
            self.value = value
            self.style = style
        }
    }

    /// The bars, top to bottom (those past the area's height are not drawn).
    public var entries: [Entry]
    /// Characters (eighth blocks or ASCII).
    public var glyphs: GlyphSet

    /// Creates a gauge.
    public init(entries: [Entry], glyphs: GlyphSet = .unicode) {
        self.entries = entries
        self.glyphs = glyphs
    }

    /// Draws one entry per row inside `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        var nameWidth = entries.map(\.name.count).max() ?? 0
        var valueWidth = entries.map(\.value.count).max() ?? 0
        let minimumBar = 4
        if nameWidth + valueWidth + 2 + minimumBar > area.width { valueWidth = 0 }
        if nameWidth + 1 + minimumBar > area.width { nameWidth = 0 }
        let barX = area.x + (nameWidth > 0 ? nameWidth + 1 : 0)
        let barWidth = area.right - barX - (valueWidth > 0 ? valueWidth + 1 : 0)
        for (offset, entry) in entries.prefix(area.height).enumerated() {
            let row = area.y + offset
            if nameWidth > 0 {
                buffer.write(entry.name, column: area.x, row: row, style: .plain, in: area)
            }
            let bar = BarView(fraction: entry.fraction, glyphs: glyphs, style: entry.style)
            bar.render(in: Rect(x: barX, y: row, width: barWidth, height: 1), into: &buffer)
            if valueWidth > 0 {
                let value = TextFitting.fitted(
                    entry.value, to: valueWidth, alignment: .right, ellipsis: glyphs.ellipsis)
                buffer.write(value, column: area.right - valueWidth, row: row, style: .plain, in: area)
            }
        }
    }
}

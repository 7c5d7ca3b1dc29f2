/// A small bar chart of the latest values (the accuracy history): one column per value, oldest
/// at the left, newest at the right edge of the drawn values, eighth-block heights.
///
/// ```
/// ▁▃▅▇█▇▆▆        values 0.91…0.98, range nil → min…max of the values shown
/// ```
/// Every finite value shows at least a one-eighth bar, so the minimum does not vanish; NaN and
/// ±∞ leave a gap. When all shown values are equal (or the range is empty) bars are half high.
public struct SparklineView: Widget, Sendable {
    /// The values, oldest first; only the last `area.width` are drawn.
    public var values: [Double]
    /// The value range mapped to the bar heights; nil uses the min…max of the values shown.
    public var range: ClosedRange<Double>?
    /// Characters (eighth blocks or ASCII).
    public var glyphs: GlyphSet
    /// Bar style.
    public var style: Style

    /// Creates a sparkline.
    public init(
        values: [Double], range: ClosedRange<Double>? = nil, glyphs: GlyphSet = .unicode,
        style: Style = Style(foreground: .green)
    ) {
        self.values = values
        self.range = range
        self.glyphs = glyphs
        self.style = style
    }

    /// Draws the last `area.width` values, each as a bar `area.height` rows tall at most.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        let shown = values.suffix(area.width)
        let finite = shown.filter(\.isFinite)
        guard let lowest = finite.min(), let highest = finite.max() else { return }
        let bounds = range.flatMap { $0.lowerBound.isFinite && $0.upperBound.isFinite ? $0 : nil } ?? lowest...highest
        let total = area.height * 8
        for (offset, value) in shown.enumerated() where value.isFinite {
            let height: Int
            if bounds.upperBound > bounds.lowerBound {
                let fraction =
                    (min(max(value, bounds.lowerBound), bounds.upperBound) - bounds.lowerBound)
                    / (bounds.upperBound - bounds.lowerBound)
                height = 1 + Int((fraction * Double(total - 1)).rounded())
            } else {
                height = max(total / 2, 1)
            }
            for step in 0..<area.height {
                let filled = min(max(height - step * 8, 0), 8)
                guard filled > 0 else { break }
                buffer.put(
                    glyphs.upward(filled), column: area.x + offset, row: area.bottom - 1 - step, style: style, in: area)
            }
        }
    }
}

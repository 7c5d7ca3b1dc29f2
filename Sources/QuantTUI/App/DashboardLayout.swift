/// Where each pane goes for a screen size: a deterministic split, tested at the sizes users have.
///
/// ```
/// ┌ title ─────────────────────────────────────────────┐
/// │ Layers (full width, up to 40 % of the height)      │
/// ├ Histogram (60 %) ─────────────┬ Accuracy ──────────┤
/// │                               ├ Size ──────────────┤
/// └ status bar ────────────────────────────────────────┘
/// ```
public struct DashboardLayout: Sendable, Equatable {
    /// The smallest screen the dashboard draws on; below it a "too small" notice shows.
    public static let minimumSize = Size(width: 80, height: 24)

    /// The title line.
    public var title: Rect
    /// The layer table pane (with its frame).
    public var table: Rect
    /// The histogram pane.
    public var histogram: Rect
    /// The accuracy pane.
    public var accuracy: Rect
    /// The size pane.
    public var size: Rect
    /// The status bar line.
    public var status: Rect

    /// Splits a screen of `screen` for a model with `layerCount` layers.
    public init(screen: Size, layerCount: Int) {
        let whole = Rect(size: screen)
        let (title, belowTitle) = whole.splitTop(1)
        let (body, status) = belowTitle.splitBottom(1)
        let tableHeight = DashboardLayout.tableHeight(bodyHeight: body.height, layerCount: layerCount)
        let (table, lower) = body.splitTop(tableHeight)
        let histogramWidth = max(lower.width * 3 / 5, min(lower.width, 44))
        let (histogram, right) = lower.splitLeft(histogramWidth)
        let accuracyHeight = min(max(right.height / 2 + 1, 10), right.height)
        let (accuracy, size) = right.splitTop(accuracyHeight)
        self.title = title
        self.table = table
        self.histogram = histogram
        self.accuracy = accuracy
        self.size = size
        self.status = status
    }

    /// Table pane height: every layer plus frame and header, at most 40 % of the body, at least 5.
    static func tableHeight(bodyHeight: Int, layerCount: Int) -> Int {
        let wanted = layerCount + 3
        let cap = max(bodyHeight * 2 / 5, 5)
        return min(max(min(wanted, cap), 5), bodyHeight)
    }

    /// Data rows the layer table shows on a screen of `size` (frame and header excluded).
    public static func tableRows(for size: Size, layerCount: Int = .max / 4) -> Int {
        let body = max(size.height - 2, 0)
        return max(tableHeight(bodyHeight: body, layerCount: layerCount) - 3, 0)
    }
}

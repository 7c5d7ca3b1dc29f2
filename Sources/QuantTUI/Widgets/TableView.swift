/// One column of a `TableView`.
public struct TableColumn: Sendable, Equatable {
    /// How wide a column is.
    public enum Width: Sendable, Equatable, Hashable {
        /// Exactly this many columns.
        case fixed(Int)
        /// At least `min` columns; shares the width left over with the other flexible columns.
        case flexible(min: Int)

        /// The fewest columns it needs.
        var minimum: Int {
            switch self {
            case .fixed(let width): max(width, 0)
            case .flexible(let min): max(min, 0)
            }
        }
    }

    /// Where text sits in a column.
    public enum Alignment: Sendable, Equatable, Hashable {
        /// Flush left (names).
        case left
        /// Flush right (numbers).
        case right
    }

    /// Header text.
    public var title: String
    /// Width rule.
    public var width: Width
    /// Text alignment (header and cells).
    public var alignment: Alignment
    /// Columns with the lowest priority are dropped first when the table is too narrow.
    public var priority: Int
    /// Whether a cell too long for the column keeps its end (`…layer1.0/conv1`: path-like names,
    /// whose last parts tell rows apart) instead of its start.
    public var keepsEnd: Bool

    /// Creates a column.
    public init(
        title: String, width: Width, alignment: Alignment = .left, priority: Int = 0, keepsEnd: Bool = false
    ) {
        self.title = title
        self.width = width
        self.alignment = alignment
        self.priority = priority
        self.keepsEnd = keepsEnd
    }
}

/// A table: a bold header row, then rows of text, one selected (reversed across the full
/// width), some marked (a `•` in the marker column), scrolled by `scrollOffset`.
///
/// ```
///   layer   bits  MSE
/// • fc1        4  1.2e-4     ← marked
///   fc2        8  3.1e-6     ← selected: reversed
/// ```
/// Narrowing the table sheds whole columns, lowest `priority` first (ties: the rightmost), as
/// `bottom` sheds columns at named thresholds; the last column left is cut to fit. Flexible
/// columns share the width left over; text too long for its column ends in `…` (`~` in ASCII).
public struct TableView: Widget, Sendable {
    /// The columns, left to right.
    public var columns: [TableColumn]
    /// Cell texts, one array per row (missing cells are blank).
    public var rows: [[String]]
    /// The selected row index, drawn reversed.
    public var selectedRow: Int?
    /// Row indices shown with a marker.
    public var markedRows: Set<Int>
    /// The first row shown (clamped so the view is never scrolled past the end).
    public var scrollOffset: Int
    /// Whether a marker column is drawn at the left.
    public var showsMarkerColumn: Bool
    /// Shown dim below the header when there are no rows.
    public var emptyMessage: String
    /// Characters for markers and ellipses.
    public var glyphs: GlyphSet
    /// Header style.
    public var headerStyle: Style
    /// Selected row style.
    public var selectedStyle: Style

    /// How a marked row that is not selected is drawn.
    static let markedStyle = Style(foreground: .yellow, attributes: .bold)

    /// Blank columns between adjacent columns.
    static let columnSpacing = 1
    /// Width of the marker column: the marker and a space.
    static let markerWidth = 2

    /// Creates a table.
    public init(
        columns: [TableColumn], rows: [[String]], selectedRow: Int? = nil, markedRows: Set<Int> = [],
        scrollOffset: Int = 0, showsMarkerColumn: Bool = true, emptyMessage: String = "",
        glyphs: GlyphSet = .unicode, headerStyle: Style = .bold, selectedStyle: Style = .reverse
    ) {
        self.columns = columns
        self.rows = rows
        self.selectedRow = selectedRow
        self.markedRows = markedRows
        self.scrollOffset = scrollOffset
        self.showsMarkerColumn = showsMarkerColumn
        self.emptyMessage = emptyMessage
        self.glyphs = glyphs
        self.headerStyle = headerStyle
        self.selectedStyle = selectedStyle
    }

    /// How many data rows fit in `area` (its height minus the header row).
    public static func visibleRowCount(in area: Rect) -> Int {
        max(area.height - 1, 0)
    }

    /// The scroll offset that keeps `selected` visible, moving as little as possible from
    /// `current`, and never scrolls past the last row.
    ///
    /// | selected | current | visibleRows | rowCount | result |
    /// |----------|---------|-------------|----------|--------|
    /// | 2        | 0       | 5           | 20       | 0      |
    /// | 7        | 0       | 5           | 20       | 3      |
    /// | 1        | 3       | 5           | 20       | 1      |
    /// | 19       | 0       | 5           | 20       | 15     |
    /// | 0        | 18      | 5           | 20       | 0      |
    public static func scrollOffset(selected: Int, current: Int, visibleRows: Int, rowCount: Int) -> Int {
        guard visibleRows > 0, rowCount > 0 else { return 0 }
        let maxOffset = max(rowCount - visibleRows, 0)
        var offset = min(max(current, 0), maxOffset)
        let selected = min(max(selected, 0), rowCount - 1)
        if selected < offset { offset = selected }
        if selected >= offset + visibleRows { offset = selected - visibleRows + 1 }
        return min(max(offset, 0), maxOffset)
    }

    /// The row index drawn at screen row `screenRow` of `area`, or nil for the header, blank
    /// rows and rows outside the area (for mouse clicks).
    public func rowIndex(atScreenRow screenRow: Int, in area: Rect) -> Int? {
        guard screenRow > area.y, screenRow < area.bottom, area.width > 0 else { return nil }
        let index = effectiveOffset(in: area) + (screenRow - area.y - 1)
        return index < rows.count ? index : nil
    }

    /// The columns shown in a table `width` wide: (column index, x offset, width), left to right.
    func layout(width: Int) -> [(column: Int, x: Int, width: Int)] {
        let markerWidth = showsMarkerColumn ? TableView.markerWidth : 0
        let available = width - markerWidth
        guard available > 0, !columns.isEmpty else { return [] }
        var shown = Array(columns.indices)
        func required(_ indices: [Int]) -> Int {
            indices.reduce(0) { $0 + columns[$1].width.minimum } + TableView.columnSpacing * (indices.count - 1)
        }
        while shown.count > 1, required(shown) > available {
            // Drop the lowest priority; among equals, the rightmost.
            let victim = shown.min { lhs, rhs in
                columns[lhs].priority != columns[rhs].priority
                    ? columns[lhs].priority < columns[rhs].priority : lhs > rhs
            }
            shown.removeAll { $0 == victim }
        }
        var widths = shown.map { columns[$0].width.minimum }
        let spare = available - required(shown)
        if spare < 0 {
            widths[0] = available
        } else {
            let flexible = shown.indices.filter {
                if case .flexible = columns[shown[$0]].width { return true }
                return false
            }
            if !flexible.isEmpty {
                for (order, position) in flexible.enumerated() {
                    widths[position] += spare / flexible.count + (order < spare % flexible.count ? 1 : 0)
                }
            }
        }
        var x = markerWidth
        return zip(shown, widths).map { column, width in
            defer { x += width + TableView.columnSpacing }
            return (column, x, width)
        }
    }

    /// The scroll offset actually used in `area`.
    private func effectiveOffset(in area: Rect) -> Int {
        let visible = TableView.visibleRowCount(in: area)
        return min(max(scrollOffset, 0), max(rows.count - visible, 0))
    }

    /// Draws the header and the visible rows inside `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        let layout = layout(width: area.width)
        let header = columns.map(\.title)
        drawRow(header, layout: layout, row: area.y, marker: " ", style: headerStyle, in: area, into: &buffer)
        let offset = effectiveOffset(in: area)
        let visible = TableView.visibleRowCount(in: area)
        if rows.isEmpty, !emptyMessage.isEmpty, visible > 0 {
            let text = TextFitting.truncated(emptyMessage, to: area.width, ellipsis: glyphs.ellipsis)
            buffer.write(text, column: area.x, row: area.y + 1, style: .dim, in: area)
        }
        for line in 0..<visible {
            let index = offset + line
            guard index < rows.count else { break }
            let isSelected = index == selectedRow
            let isMarked = markedRows.contains(index)
            // Marked rows stand out (bold, coloured) even when the cursor is elsewhere.
            let style = isSelected ? selectedStyle : isMarked ? TableView.markedStyle : .plain
            let row = area.y + 1 + line
            if isSelected {
                buffer.fill(Rect(x: area.x, y: row, width: area.width, height: 1), with: Cell(" ", style: style))
            }
            let marker = isMarked ? glyphs.marker : " "
            drawRow(rows[index], layout: layout, row: row, marker: marker, style: style, in: area, into: &buffer)
        }
    }

    /// Writes one row's marker and cells.
    private func drawRow(
        _ cells: [String], layout: [(column: Int, x: Int, width: Int)], row: Int, marker: Character,
        style: Style, in area: Rect, into buffer: inout ScreenBuffer
    ) {
        if showsMarkerColumn {
            buffer.put(marker, column: area.x, row: row, style: style, in: area)
        }
        for (column, x, width) in layout {
            var text = column < cells.count ? cells[column] : ""
            if columns[column].keepsEnd, text.count > width, width > 1 {
                text = String(glyphs.ellipsis) + String(text.suffix(width - 1))
            }
            let alignment: TextAlignment = columns[column].alignment == .right ? .right : .left
            let fitted = TextFitting.fitted(text, to: width, alignment: alignment, ellipsis: glyphs.ellipsis)
            buffer.write(fitted, column: area.x + x, row: row, style: style, in: area)
        }
    }
}

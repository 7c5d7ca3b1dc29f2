/// A grid of cells that widgets render into; the terminal shows the difference between two of them.
///
/// Writes outside the buffer are ignored (never a crash), so widgets can be drawn into any area
/// of any size. Every symbol occupies one column: characters that are not a single printable
/// terminal column (control characters, wide East Asian characters, emoji) are shown as `?`.
public struct ScreenBuffer: Sendable, Equatable {
    /// Columns and rows.
    public let size: Size
    /// Cells in row-major order.
    public private(set) var cells: [Cell]

    /// A blank buffer of `size`.
    public init(size: Size) {
        self.size = size
        cells = [Cell](repeating: .blank, count: size.width * size.height)
    }

    /// The whole buffer as a rect.
    public var area: Rect { Rect(size: size) }

    /// The cell at (`column`, `row`); blank outside the buffer, and writes there are ignored.
    public subscript(column: Int, row: Int) -> Cell {
        get {
            guard column >= 0, column < size.width, row >= 0, row < size.height else { return .blank }
            return cells[row * size.width + column]
        }
        set {
            guard column >= 0, column < size.width, row >= 0, row < size.height else { return }
            cells[row * size.width + column] = newValue
        }
    }

    /// Writes `text` from (`column`, `row`) rightwards, at most `maxWidth` columns (and never past
    /// `clip`, default the buffer), and returns the number of columns written.
    @discardableResult
    public mutating func write(
        _ text: String, column: Int, row: Int, style: Style = .plain, maxWidth: Int = .max, clip: Rect? = nil
    ) -> Int {
        let bounds = (clip ?? area).intersection(area)
        guard row >= bounds.y, row < bounds.bottom else { return 0 }
        var x = column
        var written = 0
        for character in text {
            if written >= maxWidth || x >= bounds.right { break }
            if x >= bounds.x {
                self[x, row] = Cell(ScreenBuffer.displayable(character), style: style)
            }
            x += 1
            written += 1
        }
        return written
    }

    /// Sets every cell of `rect` (clipped to the buffer) to `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let target = rect.intersection(area)
        for row in target.y..<target.bottom {
            for column in target.x..<target.right {
                cells[row * size.width + column] = cell
            }
        }
    }

    /// Applies `style` to every cell of `rect`, keeping the symbols.
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        let target = rect.intersection(area)
        for row in target.y..<target.bottom {
            for column in target.x..<target.right {
                cells[row * size.width + column].style = style
            }
        }
    }

    /// Replaces every cell's symbol with `transform(symbol)`, keeping styles (e.g. ASCII fallbacks).
    public mutating func mapSymbols(_ transform: (Character) -> Character) {
        for index in cells.indices {
            cells[index].symbol = transform(cells[index].symbol)
        }
    }

    /// The symbols of each row, trailing spaces removed: how tests compare whole screens.
    public var lines: [String] {
        (0..<size.height).map { row in
            var line = String(cells[(row * size.width)..<((row + 1) * size.width)].map(\.symbol))
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The cells that differ from `previous`, row by row; every cell when the sizes differ.
    public func changes(since previous: ScreenBuffer?) -> [CellChange] {
        var result: [CellChange] = []
        let isFullRedraw = previous?.size != size
        for row in 0..<size.height {
            for column in 0..<size.width {
                let index = row * size.width + column
                if isFullRedraw || previous?.cells[index] != cells[index] {
                    result.append(CellChange(column: column, row: row, cell: cells[index]))
                }
            }
        }
        return result
    }

    /// `character` if it occupies exactly one terminal column, else `?`.
    static func displayable(_ character: Character) -> Character {
        guard let scalar = character.unicodeScalars.first else { return "?" }
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return "?" }
        if isWide(value) { return "?" }
        if character.unicodeScalars.count > 1 {
            // Combining sequences would shift columns in some terminals; keep the base only.
            return Character(scalar)
        }
        return character
    }

    /// Whether a code point is drawn two columns wide (East Asian Wide/Fullwidth, emoji).
    private static func isWide(_ value: UInt32) -> Bool {
        (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value)
            || (0xAC00...0xD7A3).contains(value) || (0xF900...0xFAFF).contains(value)
            || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
            || (0xFFE0...0xFFE6).contains(value) || (0x1F300...0x1FAFF).contains(value)
            || (0x20000...0x3FFFD).contains(value)
    }
}

/// One cell to redraw.
public struct CellChange: Sendable, Equatable {
    /// Column.
    public var column: Int
    /// Row.
    public var row: Int
    /// What to show there.
    public var cell: Cell

    /// Creates a change.
    public init(column: Int, row: Int, cell: Cell) {
        self.column = column
        self.row = row
        self.cell = cell
    }
}

/// How text sits in a field wider than itself.
enum TextAlignment: Sendable, Equatable, Hashable {
    /// Flush left.
    case left
    /// Flush right.
    case right
    /// Centred (extra column on the right).
    case center
}

/// Fitting text into a fixed number of columns; every `Character` is one column (see
/// `ScreenBuffer.write`).
enum TextFitting {
    /// `text` cut to `width` columns, its last visible character replaced by `ellipsis` when cut.
    ///
    /// | text      | width | result  |
    /// |-----------|-------|---------|
    /// | `"conv1"` | 8     | `conv1` |
    /// | `"conv1"` | 4     | `con…`  |
    /// | `"conv1"` | 1     | `…`     |
    /// | `"conv1"` | 0     | ``      |
    static func truncated(_ text: String, to width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + String(ellipsis)
    }

    /// `text` truncated to `width` and padded with spaces to exactly `width` columns.
    static func fitted(_ text: String, to width: Int, alignment: TextAlignment, ellipsis: Character) -> String {
        let cut = truncated(text, to: width, ellipsis: ellipsis)
        let gap = max(width - cut.count, 0)
        switch alignment {
        case .left: return cut + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + cut
        case .center:
            return String(repeating: " ", count: gap / 2) + cut + String(repeating: " ", count: gap - gap / 2)
        }
    }

    /// Splits `text` into lines of at most `width` columns at spaces; words longer than a line
    /// are cut hard. A text that fits is one line, spacing kept; an empty text is one empty line.
    static func wrapped(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        // A line that fits keeps its spacing (column headers over lists).
        if text.count <= width, text.contains(where: { $0 != " " }) {
            return [text]
        }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = Substring(word)
            while word.count > width {
                if !current.isEmpty {
                    lines.append(current)
                    current = ""
                }
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    /// A count in at most four columns: `812`, `2.1k`, `45k`, `1.2M`, `3.4G`.
    static func compactCount(_ count: Int) -> String {
        let value = max(count, 0)
        if value < 1000 { return String(value) }
        let units: [(Int, String)] = [(1_000_000_000, "G"), (1_000_000, "M"), (1000, "k")]
        for (divisor, unit) in units where value >= divisor {
            let scaledTenths = value / (divisor / 10)
            if scaledTenths < 100 {
                return "\(scaledTenths / 10).\(scaledTenths % 10)\(unit)"
            }
            let whole = value / divisor
            return whole < 1000 ? "\(whole)\(unit)" : "999\(unit)"
        }
        return String(value)
    }
}

extension ScreenBuffer {
    /// Writes `text` at (`column`, `row`) without touching cells outside `area`.
    @discardableResult
    mutating func write(_ text: String, column: Int, row: Int, style: Style, in area: Rect) -> Int {
        write(text, column: column, row: row, style: style, clip: area)
    }

    /// Sets the cell at (`column`, `row`) if it lies inside `area`.
    mutating func put(_ symbol: Character, column: Int, row: Int, style: Style, in area: Rect) {
        guard area.contains(column: column, row: row) else { return }
        self[column, row] = Cell(ScreenBuffer.displayable(symbol), style: style)
    }
}

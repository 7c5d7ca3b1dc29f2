/// One group of key bindings in the help overlay.
public struct HelpSection: Sendable, Equatable {
    /// One binding: the keys (e.g. `"j/↓"`) and what they do.
    public typealias Entry = (keys: String, description: String)

    /// Heading, e.g. `"Layers"`.
    public var title: String
    /// The bindings, in display order.
    public var entries: [Entry]

    /// Creates a section.
    public init(title: String, entries: [Entry]) {
        self.title = title
        self.entries = entries
    }

    /// Equal when titles and all entries match.
    public static func == (lhs: HelpSection, rhs: HelpSection) -> Bool {
        lhs.title == rhs.title && lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.keys == $1.keys && $0.description == $1.description }
    }
}

/// The help overlay: key bindings grouped in sections, laid out in as many columns as fit,
/// scrolled by `scrollOffset`, with `Esc/? closes` on the bottom border.
///
/// ```
/// ┌─ Help ──────────────────────────────────────┐
/// │ Navigation             Quantization         │
/// │ j/↓   next layer       +     more bits      │
/// │ k/↑   previous layer   -     fewer bits     │
/// │                        s     next scheme    │
/// └──────────────────────────────── Esc/? closes ┘
/// ```
/// Sections are never split across columns; they are dealt to columns in order, each column
/// filled up to an even share of the rows. Keys are bold and padded to the widest in their
/// column; descriptions are cut with `…` when the column is too narrow.
public struct HelpView: Widget, Sendable {
    /// The sections, in order (generated from the keymap).
    public var sections: [HelpSection]
    /// The first content row shown (clamped to the content).
    public var scrollOffset: Int
    /// On the top border.
    public var title: String
    /// On the bottom border.
    public var footer: String
    /// Characters (box, ellipsis, scroll arrows).
    public var glyphs: GlyphSet

    /// Blank columns between help columns.
    static let columnGap = 3
    /// The widest one help column grows.
    static let maximumColumnWidth = 40
    /// The narrowest a column is cut to so that two fit side by side (80-column screens).
    static let minimumColumnWidth = 30

    /// Creates the help overlay.
    public init(
        sections: [HelpSection], scrollOffset: Int = 0, title: String = "Help", footer: String = "Esc/? closes",
        glyphs: GlyphSet = .unicode
    ) {
        self.sections = sections
        self.scrollOffset = scrollOffset
        self.title = title
        self.footer = footer
        self.glyphs = glyphs
    }

    /// Width of a help column: widest keys + 2 + widest description, or the widest title.
    private var fullColumnWidth: Int {
        let keys = sections.flatMap(\.entries).map(\.keys.count).max() ?? 0
        let descriptions = sections.flatMap(\.entries).map(\.description.count).max() ?? 0
        let titles = sections.map(\.title.count).max() ?? 0
        return max(keys + 2 + descriptions, titles, 1)
    }

    /// The full width, at most `maximumColumnWidth` (what decides how many columns fit).
    private var naturalColumnWidth: Int { min(fullColumnWidth, HelpView.maximumColumnWidth) }

    /// The rows of a section: its title and entries.
    private func rowCount(ofSection index: Int) -> Int {
        sections[index].entries.count + 1
    }

    /// Sections dealt to `count` columns: consecutive runs, each column up to an even share.
    func columns(count: Int) -> [[Int]] {
        guard count > 0, !sections.isEmpty else { return [] }
        let total = sections.indices.reduce(0) { $0 + rowCount(ofSection: $1) + 1 }
        let share = (total + count - 1) / count
        var result: [[Int]] = [[]]
        var height = 0
        for index in sections.indices {
            let needed = rowCount(ofSection: index) + (result[result.count - 1].isEmpty ? 0 : 1)
            if height + needed > share, !result[result.count - 1].isEmpty, result.count < count {
                result.append([])
                height = 0
            }
            height += rowCount(ofSection: index) + (result[result.count - 1].isEmpty ? 0 : 1)
            result[result.count - 1].append(index)
        }
        return result
    }

    /// How many help columns fit in `width` text columns, and how wide each is: as many at full
    /// width as fit, else two cut to at least `minimumColumnWidth` (descriptions end in `…`).
    func columnLayout(forWidth width: Int) -> (count: Int, width: Int) {
        let natural = naturalColumnWidth
        let count = max(min((width + HelpView.columnGap) / (natural + HelpView.columnGap), sections.count), 1)
        let shrunk = (width - HelpView.columnGap) / 2
        if count == 1, sections.count > 1, shrunk >= HelpView.minimumColumnWidth {
            return (2, min(natural, shrunk))
        }
        // Columns share what is left over, up to their full width (fewer descriptions cut).
        let shared = (width - HelpView.columnGap * (count - 1)) / count
        return (count, max(natural, min(fullColumnWidth, shared)))
    }

    /// The text rows of one column.
    private func rows(of column: [Int]) -> [(text: String, isTitle: Bool, keysWidth: Int)] {
        let keysWidth = column.flatMap { sections[$0].entries.map(\.keys.count) }.max() ?? 0
        var result: [(String, Bool, Int)] = []
        for index in column {
            if !result.isEmpty { result.append(("", false, 0)) }
            result.append((sections[index].title, true, 0))
            for entry in sections[index].entries {
                let padding = String(repeating: " ", count: max(keysWidth - entry.keys.count, 0))
                result.append((entry.keys + padding + "  " + entry.description, false, keysWidth))
            }
        }
        return result
    }

    /// Rows of content for a box whose text area is `width` wide.
    private func contentHeight(forWidth width: Int) -> Int {
        columns(count: columnLayout(forWidth: width).count).map { rows(of: $0).count }.max() ?? 0
    }

    /// Where the overlay goes on `screen`: centred, as big as its content, at most the screen
    /// less a margin of one cell.
    public func frame(in screen: Rect) -> Rect {
        let room = screen.inset(by: screen.width >= 20 && screen.height >= 8 ? 1 : 0)
        let (count, columnWidth) = columnLayout(forWidth: room.width - 4)
        let width = count * columnWidth + (count - 1) * HelpView.columnGap + 4
        let height = contentHeight(forWidth: width - 4) + 2
        return room.centered(Size(width: width, height: height))
    }

    /// The largest useful `scrollOffset` for `screen`.
    public func maximumScrollOffset(in screen: Rect) -> Int {
        let box = frame(in: screen)
        return max(contentHeight(forWidth: box.width - 4) - max(box.height - 2, 0), 0)
    }

    /// Clears the overlay's frame and draws the sections; `area` is the screen to centre in.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let box = frame(in: area)
        guard !box.isEmpty else { return }
        buffer.fill(box)
        let maximumOffset = maximumScrollOffset(in: area)
        let offset = min(max(scrollOffset, 0), maximumOffset)
        var footerText = footer
        if maximumOffset > 0 {
            let arrows =
                (offset > 0 ? String(glyphs.moreAbove) : "") + (offset < maximumOffset ? String(glyphs.moreBelow) : "")
            footerText = footer.isEmpty ? arrows : arrows + " " + footer
        }
        let border = Frame(title: title, footer: footerText, isFocused: true, glyphs: glyphs)
        border.render(in: box, into: &buffer)
        let text = border.inner(of: box).inset(left: 1, right: 1)
        guard !text.isEmpty else { return }
        let (count, columnWidth) = columnLayout(forWidth: text.width)
        let columns = columns(count: count)
        for (number, column) in columns.enumerated() {
            let x = text.x + number * (columnWidth + HelpView.columnGap)
            let width = min(columnWidth, text.right - x)
            guard width > 0 else { break }
            let clip = Rect(x: x, y: text.y, width: width, height: text.height)
            for (line, row) in rows(of: column).dropFirst(offset).prefix(text.height).enumerated() {
                let shown = TextFitting.truncated(row.text, to: width, ellipsis: glyphs.ellipsis)
                let y = text.y + line
                if row.isTitle {
                    buffer.write(shown, column: x, row: y, style: Style(attributes: [.bold, .underline]), in: clip)
                } else {
                    buffer.write(shown, column: x, row: y, style: .plain, in: clip)
                    buffer.setStyle(
                        .bold, in: Rect(x: x, y: y, width: min(row.keysWidth, width), height: 1).intersection(clip))
                }
            }
        }
    }
}

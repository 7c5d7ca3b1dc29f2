/// A centred box over the dashboard: a title, message lines, optionally a one-line text field
/// and a list of options, and a footer hint.
///
/// ```
/// ┌─ Save session ──────────────────┐
/// │ Name for the preset:            │
/// │                                 │
/// │ mlp-4bit█                       │
/// │                                 │
/// │     Enter save · Esc cancel     │
/// └─────────────────────────────────┘
/// ```
/// Message lines wrap at word boundaries. The text field shows the end of the input and a cursor
/// after it (underlined field); the selected option is reversed and pointed at (`›`). When the
/// screen is too short, rows go by priority: blank separators first, then message lines after
/// the first, unselected options, the footer, the first message line; the field and the selected
/// option stay.
public struct DialogView: Widget, Sendable {
    /// Shown on the top border.
    public var title: String
    /// Message, one paragraph per element (each wraps).
    public var lines: [String]
    /// The text typed so far, or nil for no text field.
    public var input: String?
    /// Choices, one per row (empty for none).
    public var options: [String]
    /// The highlighted choice.
    public var selectedOption: Int?
    /// Hint at the bottom, e.g. `"Enter save · Esc cancel"`.
    public var footer: String
    /// The widest the box grows (it is never wider than the screen).
    public var maximumWidth: Int
    /// Characters (box, cursor, pointer).
    public var glyphs: GlyphSet

    /// Creates a dialog.
    public init(
        title: String, lines: [String] = [], input: String? = nil, options: [String] = [],
        selectedOption: Int? = nil, footer: String = "", maximumWidth: Int = 60, glyphs: GlyphSet = .unicode
    ) {
        self.title = title
        self.lines = lines
        self.input = input
        self.options = options
        self.selectedOption = selectedOption
        self.footer = footer
        self.maximumWidth = maximumWidth
        self.glyphs = glyphs
    }

    /// The kinds of row inside the box, with their drop priority (lower goes first).
    enum Row: Equatable {
        /// One wrapped line of the message.
        case message(String, isFirst: Bool)
        /// A separator between sections.
        case blank
        /// The text field.
        case input
        /// The option at this index.
        case option(Int)
        /// The hint line.
        case footer

        /// Rows with lower priority are dropped first when the box is too short.
        var priority: Int {
            switch self {
            case .blank: 0
            case .message(_, let isFirst): isFirst ? 4 : 1
            case .option: 2
            case .footer: 3
            case .input: 5
            }
        }
    }

    /// Columns of text inside the box (borders and one blank column each side excluded).
    private func contentWidth(in screen: Rect) -> Int {
        let wanted = max(
            lines.map(\.count).max() ?? 0, title.count + 4, footer.count, input == nil ? 0 : 30,
            (options.map(\.count).max() ?? 0) + 2)
        return max(min(wanted, maximumWidth - 4, screen.width - 4), 0)
    }

    /// All rows at full height for `width` text columns.
    private func rows(width: Int) -> [Row] {
        var sections: [[Row]] = []
        let message = lines.flatMap { TextFitting.wrapped($0, width: width) }
        if !message.isEmpty {
            sections.append(message.enumerated().map { .message($1, isFirst: $0 == 0) })
        }
        if input != nil { sections.append([.input]) }
        if !options.isEmpty { sections.append(options.indices.map { .option($0) }) }
        if !footer.isEmpty { sections.append([.footer]) }
        return Array(sections.joined(separator: [.blank]))
    }

    /// The rows that fit in `height`, dropping by priority (ties: the lowest row first).
    private func fittedRows(width: Int, height: Int) -> [Row] {
        var result = rows(width: width)
        while result.count > max(height, 0) {
            let candidates = result.indices.filter { result[$0] != .option(selectedOption ?? -1) }
            guard
                let victim = candidates.min(by: { lhs, rhs in
                    result[lhs].priority != result[rhs].priority
                        ? result[lhs].priority < result[rhs].priority : lhs > rhs
                })
            else {
                result.removeLast(result.count - max(height, 0))
                break
            }
            result.remove(at: victim)
        }
        return result
    }

    /// Where the box goes on `screen`: centred, as tall as its rows, clamped to the screen.
    public func frame(in screen: Rect) -> Rect {
        let width = contentWidth(in: screen)
        let height = rows(width: width).count + 2
        return screen.centered(Size(width: width + 4, height: height))
    }

    /// Clears the box's frame and draws the dialog into it; `area` is the whole screen (or the
    /// region to centre in).
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        let box = frame(in: area)
        guard !box.isEmpty else { return }
        buffer.fill(box.intersection(area))
        let border = Frame(title: title, isFocused: true, glyphs: glyphs)
        border.render(in: box, into: &buffer)
        let inner = border.inner(of: box)
        let text = inner.inset(left: 1, right: 1)
        guard !text.isEmpty else { return }
        for (offset, row) in fittedRows(width: text.width, height: inner.height).enumerated() {
            draw(row, at: inner.y + offset, text: text, inner: inner, into: &buffer)
        }
    }

    /// Draws one row.
    private func draw(_ row: Row, at y: Int, text: Rect, inner: Rect, into buffer: inout ScreenBuffer) {
        switch row {
        case .blank:
            break
        case .message(let line, _):
            let shown = TextFitting.truncated(line, to: text.width, ellipsis: glyphs.ellipsis)
            buffer.write(shown, column: text.x, row: y, style: .plain, in: text)
        case .input:
            let field = input ?? ""
            let room = max(text.width - 1, 0)
            let visible = field.count > room ? String(glyphs.ellipsis) + String(field.suffix(max(room - 1, 0))) : field
            let shown = String(visible.prefix(room)) + String(glyphs.cursor)
            buffer.write(
                TextFitting.fitted(shown, to: text.width, alignment: .left, ellipsis: glyphs.ellipsis), column: text.x,
                row: y, style: Style(attributes: .underline), in: text)
        case .option(let index):
            let isSelected = index == selectedOption
            let style: Style = isSelected ? .reverse : .plain
            if isSelected {
                buffer.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), with: Cell(" ", style: style))
            }
            let pointer = isSelected ? String(glyphs.pointer) : " "
            let shown = TextFitting.truncated(pointer + " " + options[index], to: text.width, ellipsis: glyphs.ellipsis)
            buffer.write(shown, column: text.x, row: y, style: style, in: text)
        case .footer:
            let shown = TextFitting.fitted(footer, to: text.width, alignment: .center, ellipsis: glyphs.ellipsis)
            buffer.write(shown, column: text.x, row: y, style: .dim, in: text)
        }
    }
}

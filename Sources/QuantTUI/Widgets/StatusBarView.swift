/// The bottom line: session name (with an unsaved marker), key hints, and a message at the right.
///
/// ```
///  mlp-4bit ●  q quit  ? help  s save          saved Sessions/mlp-4bit.json
/// ```
/// The session tag is reversed; keys are bold; an error message is bold red. Space is handed out
/// in order — the session tag, then the message (an error goes before the tag), then hints
/// from the left until one no longer fits — and each part is cut with `…` to what it gets.
public struct StatusBarView: Widget, Sendable {
    /// One key hint: `key` bold, then its label.
    public typealias Hint = (key: String, label: String)

    /// The session's name.
    public var sessionName: String
    /// Whether there are unsaved changes (shows `●`, `*` in ASCII).
    public var hasUnsavedChanges: Bool
    /// Key hints, most important first (dropped from the end when narrow).
    public var hints: [Hint]
    /// Right-aligned message, if any.
    public var message: String?
    /// Whether the message is an error (bold red, and it wins space over the session tag).
    public var isError: Bool
    /// Characters (unsaved marker, ellipsis).
    public var glyphs: GlyphSet

    /// Creates a status bar.
    public init(
        sessionName: String, hasUnsavedChanges: Bool = false, hints: [Hint] = [], message: String? = nil,
        isError: Bool = false, glyphs: GlyphSet = .unicode
    ) {
        self.sessionName = sessionName
        self.hasUnsavedChanges = hasUnsavedChanges
        self.hints = hints
        self.message = message
        self.isError = isError
        self.glyphs = glyphs
    }

    /// Draws the bar on the first row of `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        let line = Rect(x: area.x, y: area.y, width: area.width, height: 1)
        let tagText = " \(sessionName)\(hasUnsavedChanges ? " \(glyphs.unsaved)" : "") "
        let messageText = message ?? ""
        var remaining = line.width
        func take(_ text: String, gap: Int) -> String {
            let shown = TextFitting.truncated(text, to: max(remaining - gap, 0), ellipsis: glyphs.ellipsis)
            if !shown.isEmpty { remaining -= shown.count + gap }
            return shown
        }
        var tag = ""
        var shownMessage = ""
        if isError {
            shownMessage = take(messageText, gap: 0)
            tag = take(tagText, gap: shownMessage.isEmpty ? 0 : 1)
        } else {
            tag = take(tagText, gap: 0)
            shownMessage = take(messageText, gap: 1)
        }
        buffer.write(tag, column: line.x, row: line.y, style: Style(attributes: [.reverse, .bold]), in: line)
        let messageStyle = isError ? Style(foreground: .red, attributes: .bold) : Style.plain
        buffer.write(shownMessage, column: line.right - shownMessage.count, row: line.y, style: messageStyle, in: line)

        var x = line.x + tag.count
        for hint in hints {
            let width = 2 + hint.key.count + 1 + hint.label.count
            guard width <= remaining else { break }
            buffer.write(hint.key, column: x + 2, row: line.y, style: .bold, in: line)
            buffer.write(hint.label, column: x + 2 + hint.key.count + 1, row: line.y, style: .plain, in: line)
            x += width
            remaining -= width
        }
    }
}

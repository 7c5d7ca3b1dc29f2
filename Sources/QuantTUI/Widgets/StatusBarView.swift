/// The bottom line: session name (with an unsaved marker), key hints, and a message at the right.
///
/// ```
///  mlp-4bit ●  q quit  ? help  s save          saved Sessions/mlp-4bit.json
/// ```
/// The session tag is reversed; keys are bold; an error message is bold red. Space is handed out
/// in order — the session tag, then the message (an error goes before the tag), then hints
/// from the left until one no longer fits — and the tag and message are cut with `…` to what
/// they get (the tag cuts the name and keeps the unsaved marker).
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
        let messageText = message ?? ""
        var remaining = line.width
        var tag = ""
        var shownMessage = ""
        if isError {
            shownMessage = TextFitting.truncated(messageText, to: remaining, ellipsis: glyphs.ellipsis)
            remaining -= shownMessage.isEmpty ? 0 : shownMessage.count + 1
            tag = sessionTag(width: remaining)
            remaining -= tag.count
        } else {
            tag = sessionTag(width: remaining)
            remaining -= tag.count
            shownMessage = TextFitting.truncated(messageText, to: remaining - 1, ellipsis: glyphs.ellipsis)
            remaining -= shownMessage.isEmpty ? 0 : shownMessage.count + 1
        }
        buffer.write(tag, column: line.x, row: line.y, style: Style(attributes: [.reverse, .bold]), in: line)
        let messageStyle = isError ? Style(foreground: .red, attributes: .bold) : Style.plain
        buffer.write(shownMessage, column: line.right - shownMessage.count, row: line.y, style: messageStyle, in: line)

        var x = line.x + tag.count
        for (index, hint) in hints.enumerated() {
            let gap = index == 0 ? 1 : 2
            let width = gap + hint.key.count + 1 + hint.label.count
            guard width <= remaining else { break }
            buffer.write(hint.key, column: x + gap, row: line.y, style: .bold, in: line)
            buffer.write(hint.label, column: x + gap + hint.key.count + 1, row: line.y, style: .plain, in: line)
            x += width
            remaining -= width
        }
    }

    /// ` name ● ` in at most `width` columns: the name is cut first, then the marker stands alone.
    func sessionTag(width: Int) -> String {
        let marker = hasUnsavedChanges ? " \(glyphs.unsaved)" : ""
        let nameWidth = width - 2 - marker.count
        if nameWidth >= 1, !sessionName.isEmpty {
            return " " + TextFitting.truncated(sessionName, to: nameWidth, ellipsis: glyphs.ellipsis) + marker + " "
        }
        if hasUnsavedChanges, width >= 3 { return " \(glyphs.unsaved) " }
        return ""
    }
}

/// A box around a pane: title on the top border, optional right-aligned info beside it, an
/// optional footer on the bottom border, and a focused look.
///
/// ```
/// ┌─ Layers ─────── 4 bit ─┐
/// │                        │
/// └────────────── 3 of 12 ─┘
/// ```
/// Focus is shown without colour: the focused frame has a bold border and a reversed title
/// (the border also turns cyan where colours exist). As the width shrinks the info goes first,
/// then the title is cut with an ellipsis; below 2×2 only the title is written, clipped.
public struct Frame: Widget, Sendable {
    /// Shown on the top border, left.
    public var title: String
    /// Shown on the top border, right (e.g. a count or a mode).
    public var info: String
    /// Shown on the bottom border, right (e.g. a hint or scroll position).
    public var footer: String
    /// Whether this pane has the keyboard focus.
    public var isFocused: Bool
    /// Box characters.
    public var glyphs: GlyphSet
    /// Border style when not focused.
    public var borderStyle: Style
    /// Border style when focused.
    public var focusedBorderStyle: Style

    /// Creates a frame.
    public init(
        title: String = "", info: String = "", footer: String = "", isFocused: Bool = false,
        glyphs: GlyphSet = .unicode, borderStyle: Style = .plain,
        focusedBorderStyle: Style = Style(foreground: .cyan, attributes: .bold)
    ) {
        self.title = title
        self.info = info
        self.footer = footer
        self.isFocused = isFocused
        self.glyphs = glyphs
        self.borderStyle = borderStyle
        self.focusedBorderStyle = focusedBorderStyle
    }

    /// The area inside the border (empty when `area` is smaller than 3×3).
    public func inner(of area: Rect) -> Rect {
        area.inset(by: 1)
    }

    /// Draws the border and its labels inside `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        let border = isFocused ? focusedBorderStyle : borderStyle
        let titleStyle = isFocused ? Style(attributes: [.bold, .reverse]) : Style.bold
        guard area.width >= 2, area.height >= 2 else {
            let text = TextFitting.truncated(title, to: area.width, ellipsis: glyphs.ellipsis)
            buffer.write(text, column: area.x, row: area.y, style: titleStyle, in: area)
            return
        }
        drawBox(in: area, style: border, into: &buffer)
        drawLabels(left: title, right: info, row: area.y, in: area, leftStyle: titleStyle, into: &buffer)
        if area.height >= 3 {
            drawLabels(left: "", right: footer, row: area.bottom - 1, in: area, leftStyle: .plain, into: &buffer)
        }
    }

    /// The four lines and corners.
    private func drawBox(in area: Rect, style: Style, into buffer: inout ScreenBuffer) {
        let horizontal = String(repeating: glyphs.horizontal, count: area.width - 2)
        buffer.write(
            String(glyphs.topLeft) + horizontal + String(glyphs.topRight), column: area.x, row: area.y,
            style: style, in: area)
        buffer.write(
            String(glyphs.bottomLeft) + horizontal + String(glyphs.bottomRight), column: area.x,
            row: area.bottom - 1, style: style, in: area)
        for row in (area.y + 1)..<(area.bottom - 1) {
            buffer.put(glyphs.vertical, column: area.x, row: row, style: style, in: area)
            buffer.put(glyphs.vertical, column: area.right - 1, row: row, style: style, in: area)
        }
    }

    /// Writes ` left ` after `─` at the start and ` right ` before `─` at the end of a border row;
    /// `right` is dropped when both do not fit, then `left` is cut.
    private func drawLabels(
        left: String, right: String, row: Int, in area: Rect, leftStyle: Style, into buffer: inout ScreenBuffer
    ) {
        // Room between "┌─" and "─┐".
        let room = area.width - 4
        guard room > 0 else {
            let cut = TextFitting.truncated(left, to: area.width - 2, ellipsis: glyphs.ellipsis)
            buffer.write(cut, column: area.x + 1, row: row, style: leftStyle, in: area)
            return
        }
        let leftText = left.isEmpty ? "" : " \(left) "
        var rightText = right.isEmpty ? "" : " \(right) "
        if leftText.count + rightText.count > room { rightText = "" }
        let shownLeft = TextFitting.truncated(leftText, to: room, ellipsis: glyphs.ellipsis)
        if !shownLeft.isEmpty {
            buffer.write(shownLeft, column: area.x + 2, row: row, style: leftStyle, in: area)
        }
        if !rightText.isEmpty {
            buffer.write(rightText, column: area.right - 2 - rightText.count, row: row, style: .plain, in: area)
        }
    }
}

/// What the dashboard shows instead of a garbled layout when the terminal is too small (as btop
/// does): the size it has and the size it needs, centred.
///
/// The longest form that fits is drawn:
///
/// | form                                            | needs        |
/// |-------------------------------------------------|--------------|
/// | `terminal too small: have 60×20, need 80×24`    | 42 columns   |
/// | `terminal too small` / `have 60×20, need 80×24` | 22 × 2 rows  |
/// | `too small` / `60×20 < 80×24`                   | 13 × 2 rows  |
/// | `60×20 < 80×24`                                 | 13 columns   |
/// | `need 80×24`                                    | 10 columns   |
/// | `80×24`                                         | 5 columns    |
/// | `!`                                             | 1 column     |
public struct TooSmallView: Widget, Sendable {
    /// The current terminal size.
    public var have: Size
    /// The smallest size the dashboard works at.
    public var need: Size
    /// Characters (`×` or `x`).
    public var glyphs: GlyphSet

    /// Creates the message.
    public init(have: Size, need: Size, glyphs: GlyphSet = .unicode) {
        self.have = have
        self.need = need
        self.glyphs = glyphs
    }

    /// The candidate forms, longest first, each a list of lines.
    var forms: [[String]] {
        let have = "\(self.have.width)\(glyphs.times)\(self.have.height)"
        let need = "\(self.need.width)\(glyphs.times)\(self.need.height)"
        return [
            ["terminal too small: have \(have), need \(need)"],
            ["terminal too small", "have \(have), need \(need)"],
            ["too small", "\(have) < \(need)"],
            ["\(have) < \(need)"],
            ["need \(need)"],
            [need],
            ["!"],
        ]
    }

    /// Draws the longest form that fits, centred in `area`.
    public func render(in area: Rect, into buffer: inout ScreenBuffer) {
        guard !area.isEmpty else { return }
        guard
            let form = forms.first(where: { lines in
                lines.count <= area.height && lines.allSatisfy { $0.count <= area.width }
            })
        else { return }
        let top = area.y + (area.height - form.count) / 2
        for (offset, line) in form.enumerated() {
            let column = area.x + (area.width - line.count) / 2
            buffer.write(line, column: column, row: top + offset, style: offset == 0 ? .bold : .plain, in: area)
        }
    }
}

/// The characters widgets draw with: Unicode box drawing and block elements, or a plain ASCII
/// fallback for terminals without UTF-8.
///
/// Every widget that draws something other than text takes a `glyphs` value, so one switch
/// (`GlyphSet.matching(capabilities)`) turns the whole dashboard ASCII. Eighth-block ramps have
/// nine entries, index `e` drawing `e` eighths of a cell (index 0 is blank, 8 a full cell).
///
/// | role               | unicode         | ascii         |
/// |--------------------|-----------------|---------------|
/// | box                | `┌─┐│└┘`        | `+-+|++`      |
/// | bar, growing up    | `▁▂▃▄▅▆▇█`      | `..--==##`    |
/// | bar, hanging down  | `▔▔▀▀▀███`      | `''"""###`    |
/// | bar, growing right | `▏▎▍▌▋▊▉█`      | `   ----=`    |
/// | truncated text     | `…`             | `~`           |
public struct GlyphSet: Sendable, Equatable {
    /// Horizontal box line.
    public var horizontal: Character
    /// Vertical box line.
    public var vertical: Character
    /// Top-left box corner.
    public var topLeft: Character
    /// Top-right box corner.
    public var topRight: Character
    /// Bottom-left box corner.
    public var bottomLeft: Character
    /// Bottom-right box corner.
    public var bottomRight: Character
    /// Where a horizontal axis crosses a vertical one.
    public var cross: Character
    /// A tick on a horizontal axis pointing down (a quantization level).
    public var tickDown: Character
    /// A run of levels too dense to tick one by one.
    public var denseLevels: Character
    /// Background of a shaded region (the pruned band).
    public var shade: Character
    /// Bars growing upwards by eighths, 9 entries (blank … full).
    public var upwardEighths: [Character]
    /// Bars hanging downwards by eighths, 9 entries (blank … full).
    public var downwardEighths: [Character]
    /// Bars growing rightwards by eighths, 9 entries (blank … full).
    public var rightwardEighths: [Character]
    /// Marks text cut short.
    public var ellipsis: Character
    /// Marks a row (table marker column).
    public var marker: Character
    /// Marks unsaved changes.
    public var unsaved: Character
    /// Points at the selected option.
    public var pointer: Character
    /// The text cursor of an input field.
    public var cursor: Character
    /// The multiplication sign in sizes (`80×24`).
    public var times: Character
    /// Separates short items (`Enter save · Esc cancel`).
    public var separator: Character
    /// There is more above.
    public var moreAbove: Character
    /// There is more below.
    public var moreBelow: Character

    /// Box drawing, eighth blocks and a few symbols: for UTF-8 terminals.
    public static let unicode = GlyphSet(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        cross: "┼", tickDown: "┬", denseLevels: "━", shade: "░",
        upwardEighths: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        downwardEighths: [" ", "▔", "▔", "▀", "▀", "▀", "█", "█", "█"],
        rightwardEighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        ellipsis: "…", marker: "•", unsaved: "●", pointer: "›", cursor: "█", times: "×", separator: "·",
        moreAbove: "↑", moreBelow: "↓")

    /// Seven-bit ASCII only: for terminals without UTF-8.
    public static let ascii = GlyphSet(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        cross: "+", tickDown: "+", denseLevels: "=", shade: ":",
        upwardEighths: [" ", ".", ".", "-", "-", "=", "=", "#", "#"],
        downwardEighths: [" ", "'", "'", "\"", "\"", "\"", "#", "#", "#"],
        rightwardEighths: [" ", " ", " ", " ", "-", "-", "-", "-", "="],
        ellipsis: "~", marker: "*", unsaved: "*", pointer: ">", cursor: "_", times: "x", separator: "-",
        moreAbove: "^", moreBelow: "v")

    /// `.unicode` when the terminal shows UTF-8, else `.ascii`.
    public static func matching(_ capabilities: TerminalCapabilities) -> GlyphSet {
        capabilities.isUnicode ? .unicode : .ascii
    }

    /// The upward-bar glyph for `eighths` (clamped to 0…8).
    func upward(_ eighths: Int) -> Character { upwardEighths[min(max(eighths, 0), 8)] }
    /// The hanging-bar glyph for `eighths` (clamped to 0…8).
    func downward(_ eighths: Int) -> Character { downwardEighths[min(max(eighths, 0), 8)] }
    /// The rightward-bar glyph for `eighths` (clamped to 0…8).
    func rightward(_ eighths: Int) -> Character { rightwardEighths[min(max(eighths, 0), 8)] }

    /// Text as this set can show it: with ASCII glyphs, symbols that need two ASCII characters
    /// to keep their meaning are spelt out (`≤` → `<=`, `≥` → `>=`, `≠` → `!=`) before the
    /// one-cell fallback (`SymbolFallback`) would turn `≤` into a misleading `<`.
    func text(_ text: String) -> String {
        guard cursor == GlyphSet.ascii.cursor, text.unicodeScalars.contains(where: { $0.value > 0x7F }) else {
            return text
        }
        return text.replacingOccurrences(of: "≤", with: "<=").replacingOccurrences(of: "≥", with: ">=")
            .replacingOccurrences(of: "≠", with: "!=")
    }
}

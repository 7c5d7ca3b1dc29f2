/// Makes every cell's symbol safe to write: one column wide, no control characters, and plain
/// ASCII when the locale is not UTF-8 (so a `LANG=C` terminal shows `#` instead of garbage).
///
/// | symbol                   | ASCII fallback                                     |
/// |--------------------------|----------------------------------------------------|
/// | `─ ━ ═` / `│ ┃ ║` / `┌ ┼ ╰` | `-` / `\|` / `+` (decided from the Unicode name)   |
/// | `▁▂` `▃▄` `▅▆▇█`           | `_` `=` `#` (lower eighth blocks, by height)         |
/// | `▏▎▍▌` `▋▊▉`               | `\|` `#` (left eighth blocks, by width)              |
/// | braille `⠁` `⡀` `⠉⣀` `⣿`     | `'` (dots on top) `.` (bottom) `:` (both) `#` (6+ dots) |
/// | `← ↑ → ↓` `▲ ▼ ◀ ▶`         | `< ^ > v`                                          |
/// | `é Ñ`                      | `e N` (Latin letter without its accent)            |
/// | anything else            | `?`                                                |
public enum SymbolFallback {
    /// The symbol to write for `symbol`.
    ///
    /// - Parameters:
    ///   - isUnicode: Whether the terminal's locale is UTF-8.
    ///   - columnWidth: The number of columns a code point takes (`wcwidth`); in Unicode mode a
    ///     symbol whose first code point is not exactly one column wide is shown as `?`, because
    ///     a wide character would shift the rest of the row.
    public static func displayable(
        _ symbol: Character, isUnicode: Bool, columnWidth: (Unicode.Scalar) -> Int
    ) -> Character {
        guard let first = symbol.unicodeScalars.first else { return " " }
        if first.isASCII || !isUnicode { return ascii(for: symbol) }
        if isControl(first) { return controlReplacement(first) }
        return columnWidth(first) == 1 ? symbol : "?"
    }

    /// A close ASCII character for `symbol` (itself when it is printable ASCII; `?` when nothing
    /// fits). Control characters become `?` (a tab becomes a space).
    public static func ascii(for symbol: Character) -> Character {
        guard let first = symbol.unicodeScalars.first else { return " " }
        if first.isASCII {
            return isControl(first) ? controlReplacement(first) : Character(first)
        }
        if let mapped = table[first] { return mapped }
        switch first.value {
        case 0x2500...0x257F: return boxDrawing(first)
        case 0x2800...0x28FF: return braille(dots: first.value - 0x2800)
        default: return latinLetter(first) ?? "?"
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value)
    }

    private static func controlReplacement(_ scalar: Unicode.Scalar) -> Character {
        scalar == "\t" ? " " : "?"
    }

    /// Pairs of (symbol, fallback), read two characters at a time.
    private static let pairs: [String] = [
        // Block elements: lower eighths by height, left eighths by width, shades, quadrants.
        "▀\"▁_▂_▃=▄=▅#▆#▇#█#▉#▊#▋#▌|▍|▎|▏|▐|░.▒:▓#▔-▕|",
        "▖.▗.▘'▙#▚:▛#▜#▝'▞:▟#",
        // Geometric shapes and arrows.
        "■#□o▪#▫o▬-▲^△^▴^▶>▷>▸>►>▼v▽v▾v◀<◁<◂<◄<◆*◇o○o◉*●*◦o◯o",
        "←<↑^→>↓v↔-↕|⇐<⇑^⇒>⇓v⇔-",
        // Punctuation, typography and signs.
        "\u{A0} ….‥:⋯.⋮:–-—-‐-‑-−-‘'’'‚,‛'“\"”\"„\"•*·.∙.×x÷/±+≈~∼~≃~≤<≥>≠#",
        "°o′'″\"‖|¦|«<»>‹<›>¡!¿?§S¶P©c®r™T€E£L¥Y¢c∞8√V∑E∏P∂d∆D∇V",
        "✓v✔v✗x✘x✕x✖x⚠!★*☆*♦*",
        // Greek letters used in statistics, and digits.
        "µuμuσsΣEΔDλlπpθtαaβbγgεeηnρrτtφfωw",
        "⁰0¹1²2³3⁴4⁵5⁶6⁷7⁸8⁹9₀0₁1₂2₃3₄4₅5₆6₇7₈8₉9",
    ]

    /// Fallbacks looked up by code point (box drawing, braille and accented letters are computed).
    static let table: [Unicode.Scalar: Character] = {
        var result: [Unicode.Scalar: Character] = [:]
        for line in pairs {
            let characters = Array(line)
            var index = 0
            while index + 1 < characters.count {
                if let key = characters[index].unicodeScalars.first {
                    result[key] = characters[index + 1]
                }
                index += 2
            }
        }
        return result
    }()

    /// `-`, `|` or `+` from the box-drawing character's name (which says which arms it has).
    private static func boxDrawing(_ scalar: Unicode.Scalar) -> Character {
        let name = scalar.properties.name ?? ""
        if name.contains("DIAGONAL CROSS") { return "X" }
        if name.contains("DIAGONAL UPPER RIGHT") { return "/" }
        if name.contains("DIAGONAL UPPER LEFT") { return "\\" }
        let words = Set(name.split(separator: " "))
        let isHorizontal = !words.isDisjoint(with: ["HORIZONTAL", "LEFT", "RIGHT"])
        let isVertical = !words.isDisjoint(with: ["VERTICAL", "UP", "DOWN"])
        switch (isHorizontal, isVertical) {
        case (true, false): return "-"
        case (false, true): return "|"
        default: return "+"
        }
    }

    /// A braille cell by where its dots are: dots 1, 2, 4, 5 are the top half (bits 0, 1, 3, 4).
    private static func braille(dots: UInt32) -> Character {
        if dots == 0 { return " " }
        if dots.nonzeroBitCount >= 6 { return "#" }
        let top = dots & 0b0001_1011 != 0
        let bottom = dots & 0b1110_0100 != 0
        switch (top, bottom) {
        case (true, false): return "'"
        case (false, true): return "."
        default: return ":"
        }
    }

    /// `e` for "LATIN SMALL LETTER E WITH ACUTE", `N` for "LATIN CAPITAL LETTER N WITH TILDE".
    private static func latinLetter(_ scalar: Unicode.Scalar) -> Character? {
        guard let name = scalar.properties.name else { return nil }
        let words = name.split(separator: " ")
        guard words.count >= 4, words[0] == "LATIN", words[2] == "LETTER",
            words[3].count == 1, let letter = words[3].first, letter.isASCII, letter.isLetter
        else { return nil }
        return words[1] == "SMALL" ? Character(letter.lowercased()) : letter
    }
}

import Testing

@testable import QuantTUI

@Suite struct SymbolFallbackTests {
    private static func oneColumn(_ scalar: Unicode.Scalar) -> Int { 1 }

    @Test(
        arguments: [
            ("─", "-"), ("━", "-"), ("═", "-"), ("│", "|"), ("┃", "|"), ("║", "|"),
            ("┌", "+"), ("┐", "+"), ("└", "+"), ("┘", "+"), ("├", "+"), ("┤", "+"), ("┬", "+"),
            ("┴", "+"), ("┼", "+"), ("╭", "+"), ("╯", "+"), ("╴", "-"), ("╷", "|"), ("╱", "/"),
            ("╲", "\\"), ("╳", "X"), ("┄", "-"), ("┊", "|"),
        ] as [(Character, Character)])
    func boxDrawing(symbol: Character, ascii: Character) {
        #expect(SymbolFallback.ascii(for: symbol) == ascii)
    }

    @Test func eighthBlocksByHeightAndWidth() {
        #expect(String("▁▂▃▄▅▆▇█".map(SymbolFallback.ascii)) == "__==####")
        #expect(String("▏▎▍▌▋▊▉".map(SymbolFallback.ascii)) == "||||###")
        #expect(String("░▒▓".map(SymbolFallback.ascii)) == ".:#")
    }

    @Test func brailleByWhereTheDotsAre() {
        #expect(String("⠀⠁⠂⠄⡀⠉⣀⡇⣿".map(SymbolFallback.ascii)) == " ''..'.:#")
    }

    @Test func arrowsShapesAndTypography() {
        #expect(String("←↑→↓▲▼◀▶".map(SymbolFallback.ascii)) == "<^>v^v<>")
        #expect(String("…–—·•×±≈≤≥°µσ²".map(SymbolFallback.ascii)) == ".--.*x+~<>ous2")
        #expect(String("“”‘’".map(SymbolFallback.ascii)) == "\"\"''")
    }

    @Test func accentedLatinLettersLoseTheirAccent() {
        #expect(String("éÉñÑüçøÅ".map(SymbolFallback.ascii)) == "eEnNucoA")
        #expect(SymbolFallback.ascii(for: "e\u{301}") == "e")
    }

    @Test func anythingElseIsAQuestionMark() {
        #expect(SymbolFallback.ascii(for: "漢") == "?")
        #expect(SymbolFallback.ascii(for: "🙂") == "?")
        #expect(SymbolFallback.ascii(for: "ß") == "?")
    }

    @Test func everyFallbackIsPrintableASCII() {
        for (symbol, fallback) in SymbolFallback.table {
            #expect(!symbol.isASCII)
            #expect(fallback.isASCII && (fallback.asciiValue ?? 0) >= 0x20, "\(symbol)")
        }
        for value in UInt32(0x2500)...0x259F {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let fallback = SymbolFallback.ascii(for: Character(scalar))
            #expect(fallback.isASCII && fallback != "?", "U+\(String(value, radix: 16))")
        }
        for value in UInt32(0x2800)...0x28FF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(" '.:#".contains(SymbolFallback.ascii(for: Character(scalar))))
        }
    }

    @Test func controlCharactersNeverReachTheTerminal() {
        for isUnicode in [false, true] {
            #expect(SymbolFallback.displayable("\t", isUnicode: isUnicode, columnWidth: Self.oneColumn) == " ")
            #expect(SymbolFallback.displayable("\u{1B}", isUnicode: isUnicode, columnWidth: Self.oneColumn) == "?")
            #expect(SymbolFallback.displayable("\u{7F}", isUnicode: isUnicode, columnWidth: Self.oneColumn) == "?")
            #expect(SymbolFallback.displayable("\u{85}", isUnicode: isUnicode, columnWidth: Self.oneColumn) == "?")
        }
    }

    @Test func unicodeModeKeepsOneColumnSymbolsAndReplacesWideOnes() {
        let widths: (Unicode.Scalar) -> Int = { $0.value >= 0x1100 && $0.value < 0x2500 || $0.value >= 0x3000 ? 2 : 1 }
        #expect(SymbolFallback.displayable("█", isUnicode: true, columnWidth: widths) == "█")
        #expect(SymbolFallback.displayable("⣿", isUnicode: true, columnWidth: widths) == "⣿")
        #expect(SymbolFallback.displayable("a", isUnicode: true, columnWidth: widths) == "a")
        #expect(SymbolFallback.displayable("漢", isUnicode: true, columnWidth: widths) == "?")
        #expect(SymbolFallback.displayable("█", isUnicode: false, columnWidth: widths) == "#")
    }
}

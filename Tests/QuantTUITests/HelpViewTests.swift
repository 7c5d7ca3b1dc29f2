import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct HelpViewTests {
    static let help = HelpView(sections: [
        HelpSection(
            title: "Navigation", entries: [("j/↓", "next layer"), ("k/↑", "previous layer"), ("Tab", "next pane")]),
        HelpSection(
            title: "Quantization",
            entries: [("+", "more bits"), ("-", "fewer bits"), ("s", "next scheme"), ("g", "granularity")]),
        HelpSection(title: "Session", entries: [("C-s", "save"), ("u", "undo"), ("q", "quit")]),
    ])

    @Test func sectionsSitSideBySideWhenTheyFit() {
        let buffer = render(Self.help, size: Size(width: 80, height: 10))
        expectBuffer(
            buffer,
            lines: [
                "",
                "      ┌─ Help ──────────────────────────────────────────────────────────┐",
                "      │ Navigation            Quantization          Session             │",
                "      │ j/↓  next layer       +  more bits          C-s  save           │",
                "      │ k/↑  previous layer   -  fewer bits         u    undo           │",
                "      │ Tab  next pane        s  next scheme        q    quit           │",
                "      │                       g  granularity                            │",
                "      └────────────────────────────────────────────────── Esc/? closes ─┘",
                "",
                "",
            ])
        #expect(buffer[8, 2].style.attributes == [.bold, .underline])
        #expect(buffer[8, 3].style == .bold)
        #expect(buffer[13, 3].style == .plain)
    }

    @Test func narrowScreensStackSectionsAndScroll() {
        expectBuffer(
            render(Self.help, size: Size(width: 40, height: 10)),
            lines: [
                "",
                "        ┌─ Help ──────────────┐",
                "        │ Navigation          │",
                "        │ j/↓  next layer     │",
                "        │ k/↑  previous layer │",
                "        │ Tab  next pane      │",
                "        │                     │",
                "        │ Quantization        │",
                "        └──── ↓ Esc/? closes ─┘",
                "",
            ])
        var scrolled = Self.help
        scrolled.scrollOffset = 3
        expectBuffer(
            render(scrolled, size: Size(width: 40, height: 10)),
            lines: [
                "",
                "        ┌─ Help ──────────────┐",
                "        │ Tab  next pane      │",
                "        │                     │",
                "        │ Quantization        │",
                "        │ +    more bits      │",
                "        │ -    fewer bits     │",
                "        │ s    next scheme    │",
                "        └─── ↑↓ Esc/? closes ─┘",
                "",
            ])
        let screen = Rect(x: 0, y: 0, width: 40, height: 10)
        #expect(Self.help.maximumScrollOffset(in: screen) == 9)
        scrolled.scrollOffset = 99
        expectBuffer(
            render(scrolled, size: Size(width: 40, height: 10)),
            lines: [
                "",
                "        ┌─ Help ──────────────┐",
                "        │ g    granularity    │",
                "        │                     │",
                "        │ Session             │",
                "        │ C-s  save           │",
                "        │ u    undo           │",
                "        │ q    quit           │",
                "        └──── ↑ Esc/? closes ─┘",
                "",
            ])
    }

    @Test func asciiHelp() {
        var help = Self.help
        help.glyphs = .ascii
        expectBuffer(
            render(help, size: Size(width: 34, height: 8)),
            lines: [
                "",
                "     +- Help --------------+",
                "     | Navigation          |",
                "     | j/↓  next layer     |",
                "     | k/↑  previous layer |",
                "     | Tab  next pane      |",
                "     +---- v Esc/? closes -+",
                "",
            ])
    }

    @Test func columnsAreDealtInOrder() {
        #expect(Self.help.columns(count: 3) == [[0], [1], [2]])
        #expect(Self.help.columns(count: 2) == [[0], [1, 2]])
        #expect(Self.help.columns(count: 1) == [[0, 1, 2]])
        #expect(HelpView(sections: []).columns(count: 2).isEmpty)
    }
}

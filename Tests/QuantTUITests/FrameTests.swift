import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct FrameTests {
    @Test func titleInfoAndFooterSitOnTheBorders() {
        let frame = Frame(title: "Layers", info: "4 bit", footer: "3 of 12")
        let buffer = render(frame, size: Size(width: 26, height: 4))
        expectBuffer(
            buffer,
            lines: [
                "┌─ Layers ─────── 4 bit ─┐",
                "│                        │",
                "│                        │",
                "└────────────── 3 of 12 ─┘",
            ])
        #expect(frame.inner(of: buffer.area) == Rect(x: 1, y: 1, width: 24, height: 2))
    }
}

extension FrameTests {
    @Test func infoGoesFirstThenTheTitleIsCut() {
        let frame = Frame(title: "Layers", info: "4 bit")
        expectBuffer(
            render(frame, size: Size(width: 14, height: 2)),
            lines: [
                "┌─ Layers ───┐",
                "└────────────┘",
            ])
        expectBuffer(
            render(frame, size: Size(width: 8, height: 2)),
            lines: [
                "┌─ La…─┐",
                "└──────┘",
            ])
        expectBuffer(
            render(frame, size: Size(width: 4, height: 2)),
            lines: [
                "┌L…┐",
                "└──┘",
            ])
    }

    @Test func tooSmallForABoxShowsTheTitleOnly() {
        let frame = Frame(title: "Layers")
        expectBuffer(render(frame, size: Size(width: 4, height: 1)), lines: ["Lay…"])
        expectBuffer(render(frame, size: Size(width: 1, height: 3)), lines: ["…", "", ""])
        expectBuffer(render(frame, size: Size(width: 0, height: 0)), lines: [])
        #expect(frame.inner(of: Rect(x: 0, y: 0, width: 2, height: 2)).isEmpty)
    }

    @Test func asciiBox() {
        let frame = Frame(title: "Plan", info: "MLP", glyphs: .ascii)
        expectBuffer(
            render(frame, size: Size(width: 18, height: 3)),
            lines: [
                "+- Plan --- MLP -+",
                "|                |",
                "+----------------+",
            ])
    }

    @Test func focusIsBoldBorderAndReversedTitle() {
        let focused = render(Frame(title: "Plan", isFocused: true), size: Size(width: 10, height: 3))
        #expect(focused[0, 0].style.attributes.contains(.bold))
        #expect(focused[0, 0].style.foreground == .cyan)
        #expect(focused[3, 0].symbol == "P")
        #expect(focused[3, 0].style.attributes == [.bold, .reverse])
        let plain = render(Frame(title: "Plan"), size: Size(width: 10, height: 3))
        #expect(plain[0, 0].style == .plain)
        #expect(plain[3, 0].style == .bold)
    }
}

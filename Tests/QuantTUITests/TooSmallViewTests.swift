import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct TooSmallViewTests {
    static let view = TooSmallView(have: Size(width: 60, height: 20), need: Size(width: 80, height: 24))

    @Test func fullSentenceWhenItFits() {
        expectBuffer(
            render(Self.view, size: Size(width: 60, height: 5)),
            lines: [
                "",
                "",
                "         terminal too small: have 60×20, need 80×24",
                "",
                "",
            ])
        #expect(render(Self.view, size: Size(width: 60, height: 5))[9, 2].style == .bold)
    }

    @Test(arguments: [
        (42, 1, ["terminal too small: have 60×20, need 80×24"]),
        (41, 3, ["           terminal too small", "         have 60×20, need 80×24", ""]),
        (20, 2, ["     too small", "   60×20 < 80×24"]),
        (13, 1, ["60×20 < 80×24"]),
        (12, 1, [" need 80×24"]),
        (6, 2, ["80×24", ""]),
        (3, 1, [" !"]),
        (0, 0, []),
    ])
    func degradesToShorterForms(width: Int, height: Int, lines: [String]) {
        expectBuffer(render(Self.view, size: Size(width: width, height: height)), lines: lines)
    }

    @Test func asciiUsesX() {
        let view = TooSmallView(have: Size(width: 60, height: 20), need: Size(width: 80, height: 24), glyphs: .ascii)
        expectBuffer(render(view, size: Size(width: 13, height: 1)), lines: ["60x20 < 80x24"])
    }
}

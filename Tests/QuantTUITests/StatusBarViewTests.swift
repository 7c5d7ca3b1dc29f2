import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct StatusBarViewTests {
    static let hints: [StatusBarView.Hint] = [("q", "quit"), ("?", "help"), ("C-s", "save")]

    @Test func sessionHintsAndMessage() {
        let bar = StatusBarView(sessionName: "mlp-4bit", hasUnsavedChanges: true, hints: Self.hints, message: "saved")
        let buffer = render(bar, size: Size(width: 60, height: 1))
        expectBuffer(
            buffer,
            lines: [
                " mlp-4bit ●  q quit  ? help  C-s save                  saved"
            ])
        #expect(buffer[1, 0].style == Style(attributes: [.reverse, .bold]))
        #expect(buffer[13, 0].style == .bold)
        #expect(buffer[15, 0].style == .plain)
        #expect(buffer[59, 0].style == .plain)
    }

    @Test func hintsAreDroppedFromTheEndWhenNarrow() {
        let bar = StatusBarView(sessionName: "mlp-4bit", hints: Self.hints, message: "saved")
        expectBuffer(
            render(bar, size: Size(width: 34, height: 1)),
            lines: [
                " mlp-4bit  q quit  ? help    saved"
            ])
        expectBuffer(
            render(bar, size: Size(width: 24, height: 1)),
            lines: [
                " mlp-4bit  q quit  saved"
            ])
        expectBuffer(
            render(bar, size: Size(width: 8, height: 1)),
            lines: [
                " mlp-4…"
            ])
    }

    @Test func errorsWinSpaceAndAreBoldRed() {
        let bar = StatusBarView(
            sessionName: "mlp-4bit", hasUnsavedChanges: true, hints: Self.hints,
            message: "cannot write Sessions/x.json", isError: true)
        let buffer = render(bar, size: Size(width: 40, height: 1))
        expectBuffer(
            buffer,
            lines: [
                " mlp-4b… ●  cannot write Sessions/x.json"
            ])
        #expect(buffer[39, 0].style == Style(foreground: .red, attributes: .bold))
        expectBuffer(
            render(bar, size: Size(width: 20, height: 1)),
            lines: [
                "cannot write Sessio…"
            ])
    }

    @Test func asciiUnsavedMarker() {
        let bar = StatusBarView(sessionName: "cnn", hasUnsavedChanges: true, hints: [("q", "quit")], glyphs: .ascii)
        expectBuffer(
            render(bar, size: Size(width: 20, height: 1)),
            lines: [
                " cnn *  q quit"
            ])
    }
}

import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct DialogViewTests {
    static let save = DialogView(
        title: "Save session", lines: ["Name for the preset:"], input: "mlp-4bit", footer: "Enter save · Esc cancel")
    static let export = DialogView(
        title: "Export",
        lines: ["Choose a format to export the quantized model to. It is written next to the session."],
        options: ["QDQ ONNX", "config JSON", "C header"], selectedOption: 1, footer: "Enter export · Esc cancel")

    @Test func saveDialogWithAnInputField() {
        let buffer = render(Self.save, size: Size(width: 50, height: 9))
        expectBuffer(
            buffer,
            lines: [
                "",
                "        ┌─ Save session ─────────────────┐",
                "        │ Name for the preset:           │",
                "        │                                │",
                "        │ mlp-4bit█                      │",
                "        │                                │",
                "        │    Enter save · Esc cancel     │",
                "        └────────────────────────────────┘",
                "",
            ])
        #expect(Self.save.frame(in: buffer.area) == Rect(x: 8, y: 1, width: 34, height: 7))
        #expect(buffer[10, 4].style.attributes.contains(.underline))
    }

    @Test func optionsWrapTheMessageAndReverseTheSelection() {
        let buffer = render(Self.export, size: Size(width: 50, height: 12))
        expectBuffer(
            buffer,
            lines: [
                "",
                "┌─ Export ───────────────────────────────────────┐",
                "│ Choose a format to export the quantized model  │",
                "│ to. It is written next to the session.         │",
                "│                                                │",
                "│   QDQ ONNX                                     │",
                "│ › config JSON                                  │",
                "│   C header                                     │",
                "│                                                │",
                "│           Enter export · Esc cancel            │",
                "└────────────────────────────────────────────────┘",
                "",
            ])
        #expect(buffer[1, 6].style == .reverse)
        #expect(buffer[48, 6].style == .reverse)
        #expect(buffer[2, 5].style == .plain)
    }

    @Test func shortScreensDropBlankRowsThenMessageLines() {
        expectBuffer(
            render(Self.export, size: Size(width: 30, height: 7)),
            lines: [
                "┌─ Export ───────────────────┐",
                "│ Choose a format to export  │",
                "│   QDQ ONNX                 │",
                "│ › config JSON              │",
                "│   C header                 │",
                "│ Enter export · Esc cancel  │",
                "└────────────────────────────┘",
            ])
        expectBuffer(
            render(Self.export, size: Size(width: 30, height: 4)),
            lines: [
                "┌─ Export ───────────────────┐",
                "│ Choose a format to export  │",
                "│ › config JSON              │",
                "└────────────────────────────┘",
            ])
    }

    @Test func longInputShowsItsEnd() {
        let dialog = DialogView(title: "Name", input: "a-very-long-session-name-that-does-not-fit", glyphs: .ascii)
        expectBuffer(
            render(dialog, size: Size(width: 24, height: 3)),
            lines: [
                "+- Name ---------------+",
                "| ~-that-does-not-fit_ |",
                "+----------------------+",
            ])
    }

    @Test func dialogClearsWhatIsBehindIt() {
        var buffer = ScreenBuffer(size: Size(width: 20, height: 5))
        for row in 0..<5 { buffer.write(String(repeating: "x", count: 20), column: 0, row: row) }
        DialogView(title: "Quit?", footer: "y/n").render(in: buffer.area, into: &buffer)
        expectBuffer(
            buffer,
            lines: [
                "xxxxxxxxxxxxxxxxxxxx",
                "xxx┌─ Quit? ───┐xxxx",
                "xxx│    y/n    │xxxx",
                "xxx└───────────┘xxxx",
                "xxxxxxxxxxxxxxxxxxxx",
            ])
    }
}

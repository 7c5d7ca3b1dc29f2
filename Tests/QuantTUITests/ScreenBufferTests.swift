import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct ScreenBufferTests {
    @Test func writesClipAndIgnoreOutOfBounds() {
        var buffer = ScreenBuffer(size: Size(width: 6, height: 2))
        #expect(buffer.write("abcdefgh", column: 2, row: 0) == 4)
        buffer.write("xy", column: -1, row: 1)
        buffer.write("zz", column: 0, row: 5)
        buffer[99, 99] = Cell("!")
        expectBuffer(buffer, lines: ["  abcd", "y"])
        #expect(buffer[99, 99] == .blank)
    }

    @Test func writeRespectsMaxWidthAndClipRect() {
        var buffer = ScreenBuffer(size: Size(width: 10, height: 1))
        buffer.write("hello world", column: 0, row: 0, maxWidth: 3)
        buffer.write("XYZW", column: 4, row: 0, clip: Rect(x: 5, y: 0, width: 2, height: 1))
        expectBuffer(buffer, lines: ["hel  YZ"])
    }

    @Test func controlAndWideCharactersBecomeQuestionMarks() {
        var buffer = ScreenBuffer(size: Size(width: 8, height: 1))
        buffer.write("a\tb漢▁⠿", column: 0, row: 0)
        expectBuffer(buffer, lines: ["a?b?▁⠿"])
    }

    @Test func changesListOnlyDifferingCells() {
        var first = ScreenBuffer(size: Size(width: 4, height: 2))
        first.write("abcd", column: 0, row: 0)
        var second = first
        second.write("X", column: 2, row: 1, style: .bold)
        #expect(second.changes(since: first) == [CellChange(column: 2, row: 1, cell: Cell("X", style: .bold))])
        #expect(second.changes(since: nil).count == 8)
        #expect(ScreenBuffer(size: Size(width: 3, height: 1)).changes(since: first).count == 3)
    }

    @Test func terminalSendsOnlyChangedCellsAndRedrawsAfterResize() {
        let backend = RecordingBackend(size: Size(width: 10, height: 3))
        let terminal = Terminal(backend: backend)
        terminal.draw { $0.write("hello", column: 0, row: 0) }
        terminal.draw { $0.write("hellp", column: 0, row: 0) }
        terminal.draw { $0.write("hellp", column: 0, row: 0) }
        #expect(backend.cellsPerFrame == [30, 1])
        expectBuffer(backend.screen, lines: ["hellp", "", ""])
        backend.size = Size(width: 4, height: 1)
        terminal.draw { $0.write("hellp", column: 0, row: 0) }
        expectBuffer(backend.screen, lines: ["hell"])
        #expect(backend.cellsPerFrame.last == 4)
    }

    @Test func rectArithmeticClamps() {
        let rect = Rect(x: 2, y: 3, width: 3, height: 2)
        #expect(rect.inset(by: 5).isEmpty)
        #expect(rect.inset(by: 5).width == 0)
        #expect(rect.splitTop(10).rest.height == 0)
        #expect(rect.splitLeft(1) == (Rect(x: 2, y: 3, width: 1, height: 2), Rect(x: 3, y: 3, width: 2, height: 2)))
        #expect(Rect(x: 0, y: 0, width: -4, height: 2).width == 0)
        #expect(rect.intersection(Rect(x: 10, y: 10, width: 2, height: 2)).isEmpty)
        #expect(
            Rect(x: 0, y: 0, width: 10, height: 10).centered(Size(width: 4, height: 2))
                == Rect(x: 3, y: 4, width: 4, height: 2))
    }
}

import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct SparklineViewTests {
    static let history = [0.91, 0.93, 0.95, 0.97, 0.98, 0.97, 0.96, 0.96]

    @Test func valuesSpanTheirOwnRangeByDefault() {
        expectBuffer(
            render(SparklineView(values: Self.history), size: Size(width: 10, height: 1)),
            lines: [
                "▁▃▅▇█▇▆▆"
            ])
    }

    @Test func onlyTheLastWidthValuesAreShown() {
        expectBuffer(
            render(SparklineView(values: Self.history), size: Size(width: 4, height: 1)),
            lines: [
                "█▅▁▁"
            ])
    }

    @Test func aFixedRangeClampsValues() {
        let view = SparklineView(values: [-1, 0, 0.25, 0.5, 0.75, 1, 2], range: 0...1)
        expectBuffer(
            render(view, size: Size(width: 7, height: 1)),
            lines: [
                "▁▁▃▅▆██"
            ])
    }

    @Test func tallerAreasStackEighths() {
        expectBuffer(
            render(SparklineView(values: Self.history), size: Size(width: 8, height: 3)),
            lines: [
                "   ▅█▅▁▁",
                "  ▆█████",
                "▁███████",
            ])
    }

    @Test func asciiRamp() {
        let view = SparklineView(values: Self.history, glyphs: .ascii)
        expectBuffer(
            render(view, size: Size(width: 8, height: 2)),
            lines: [
                "  .=#=--",
                ".=######",
            ])
    }

    @Test func nonFiniteValuesLeaveGapsAndConstantValuesSitHalfway() {
        expectBuffer(
            render(SparklineView(values: [1, .nan, 1, .infinity, 1]), size: Size(width: 5, height: 1)),
            lines: [
                "▄ ▄ ▄"
            ])
        expectBuffer(render(SparklineView(values: [.nan]), size: Size(width: 3, height: 1)), lines: [""])
        expectBuffer(render(SparklineView(values: []), size: Size(width: 3, height: 1)), lines: [""])
    }

    @Test func barsUseTheGivenStyle() {
        let buffer = render(SparklineView(values: [1, 2], style: .bold), size: Size(width: 2, height: 1))
        #expect(buffer[1, 0] == Cell("█", style: .bold))
    }
}

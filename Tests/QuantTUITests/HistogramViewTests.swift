import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct HistogramViewTests {
    static let weights = HistogramFixtures.weights(count: 5000)

    static func data(bitWidth: Int, width: Int, threshold: Float = 0) -> HistogramData {
        HistogramFixtures.data(
            weights: weights, bitWidth: bitWidth, binCount: HistogramView.binCount(forWidth: width),
            threshold: threshold)
    }

    /// A small hand-made histogram: 8 bins over -1…1, levels every 0.5, pruned below 0.1.
    static let small = HistogramData(
        binEdges: [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1],
        floatCounts: [1, 4, 9, 16, 16, 9, 4, 1],
        quantizedCounts: [1, 0, 13, 0, 32, 0, 13, 1],
        levels: [-1, -0.5, 0, 0.5, 1],
        prunedBand: -0.1...0.1)

    @Test func fourBitPrunedAt40x10() {
        let view = HistogramView(data: Self.data(bitWidth: 4, width: 40, threshold: 0.03))
        expectBuffer(
            render(view, size: Size(width: 40, height: 10)),
            lines: [
                " 381│             ▁▂▇▇█▆▅▂         float",
                "    │           ▂▂████████▆▃    ░ pruned",
                "    │         ▁▅████████████▇▆▃▁",
                "    │ ▁▁▂▂▃▄▆███████████████████▇▅▃▁▁▁▁▁",
                "    ┼┬─┬─┬──┬─┬──┬─┬─░┬░┬──┬─┬──┬──┬─┬─┬",
                "    │▔ ▔ ▀  █  █ █ █ ░█░ █ █  █ █  ▔ ▔ ▔",
                "    │          ▀ █ █ ░█░ █ █  ▀",
                "    │            ▀ █ ░█░ █ ▀   quantized",
                " 903│              █ ░█░ ▀     15 levels",
                "     -0.49            0             0.49",
            ])
    }

    @Test func asciiLogScaleAt40x10() {
        let view = HistogramView(data: Self.data(bitWidth: 4, width: 40, threshold: 0.03), scale: .log, glyphs: .ascii)
        expectBuffer(
            render(view, size: Size(width: 40, height: 10)),
            lines: [
                " 381|         .-==########==--..   float",
                "    |     -=#####################=-",
                "    |  .############################-.",
                "    | =###############################-=",
                " log++-+-+--+-+--+-+-:+:+--+-+--+--+-+-+",
                "    |\" # #  #  # # # :#: # #  # #  # # \"",
                "    |  \" #  #  # # # :#: # #  # #  # \"",
                "    |    \"  #  # # # :#: # #  # #  \"",
                " 903|          \" # # :#: # #  \" '",
                "     -0.49            0             0.49",
            ])
    }

    @Test func threeBitPrunedAt100x20() {
        let view = HistogramView(data: Self.data(bitWidth: 3, width: 100, threshold: 0.05))
        expectBuffer(
            render(view, size: Size(width: 100, height: 20)),
            lines: [
                " 146│                                         ▁▆▇▄░▅█▅░▄█░ ▇                                   float",
                "    │                                     ▇ ▇ ████████░██▃ █ ▄                              ░ pruned",
                "    │                                    ▃█▆██████████▇███▇█ █▆",
                "    │                               ▄ ▄ ▁███████████████████▅██▂▆  ▁",
                "    │                             ▁▄█▆███████████████████████████▇▇█    ▃",
                "    │                            ▂██████████████████████████████████▇▅▄▄█▅",
                "    │                       ▃▁▂▇██████████████████████████████████████████▇▄▄▁",
                "    │               ▂▁▁ ▂▆▃████████████████████████████████████████████████████▇█▄▃",
                "    │   ▁ ▁▁▁▂▃▅▄▃▂▄█████████████████████████████████████████████████████████████████▅▆▃▂▂▁▁▁▁▁▁   ▁",
                "    ┼┬──────────────┬───────────────┬──────────░░░░░┬░░░░░──────────┬───────────────┬──────────────┬",
                "    │▔              █               █          ░░░░░█░░░░░          █               █              ▔",
                "    │               ▔               █          ░░░░░█░░░░░          █               ▔",
                "    │                               █          ░░░░░█░░░░░          █",
                "    │                               █          ░░░░░█░░░░░          █",
                "    │                               █          ░░░░░█░░░░░          █",
                "    │                               ▔          ░░░░░█░░░░░",
                "    │                                          ░░░░░█░░░░░",
                "    │                                          ░░░░░█░░░░░                                 quantized",
                "2.0k│                                          ░░░░░█░░░░░                                  7 levels",
                "     -0.49                                          0                                           0.49",
            ])
    }

    @Test func denseLevelsBecomeABandWithTheirCount() {
        let view = HistogramView(data: Self.data(bitWidth: 8, width: 40))
        expectBuffer(
            render(view, size: Size(width: 40, height: 10)),
            lines: [
                " 377│             ▃▄█▇▄▆▃          float",
                "    │          ▁▃▄████████▄▁",
                "    │        ▁▃█████████████▅▆▂",
                "    │▁▁▂▂▃▄▅▇███████████████████▆▅▃▁▁▁▁▁",
                "    ┼━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━",
                "    │▔▔▔▔▀▀▀█████████████████████▀▀▔▔▔▔▔",
                "    │        ▔▀█████████████▀█▔",
                "    │          ▔▀▀████████▀▔   quantized",
                " 374│             ▀▀██▀█▀     217 levels",
                "     -0.459          0              0.49",
            ])
    }

    @Test func smallHandMadeHistogramStretchesBinsOverColumns() {
        let buffer = render(HistogramView(data: Self.small), size: Size(width: 21, height: 8))
        expectBuffer(
            buffer,
            lines: [
                "  16│      ████ float",
                "    │    ▆▆████▆▆",
                "    │▂▂▆▆████████▆▆▂▂",
                "    ┼┬───┬──░┬───┬──┬",
                "    │▔▔  ██ ░██  ██▔▔",
                "    │    ▔▔ ░██  ▔▔",
                "  32│       ░██",
                "     -1      0      1",
            ])
    }

    @Test func stylesSeparateTheSeriesWithoutRelyingOnColour() {
        let view = HistogramView(data: Self.small)
        let buffer = render(view, size: Size(width: 21, height: 8))
        let floatCell = buffer[12, 2]
        #expect(floatCell.symbol == "█")
        #expect(floatCell.style == view.floatStyle)
        let tick = buffer[5, 3]
        #expect(tick.symbol == "┬")
        #expect(tick.style.attributes.contains(.bold))
    }

    @Test func logScaleKeepsSmallCountsVisible() {
        let data = HistogramData(binEdges: [0, 1, 2, 3], floatCounts: [1, 10, 1000], quantizedCounts: [0, 0, 1011])
        let linear = render(HistogramView(data: data), size: Size(width: 3, height: 4))
        let log = render(HistogramView(data: data, scale: .log), size: Size(width: 3, height: 4))
        expectBuffer(
            linear,
            lines: [
                "▁▁█",
                "───",
                "  █",
                "0 3",
            ])
        expectBuffer(
            log,
            lines: [
                "▁▃█",
                "───",
                "  █",
                "0 3",
            ])
    }

    @Test func emptyDataSaysSo() {
        expectBuffer(
            render(HistogramView(data: .empty), size: Size(width: 30, height: 8)),
            lines: [
                "",
                "              no data",
                "",
                "    ┼─────────────────────────",
                "",
                "",
                "",
                "",
            ])
    }

    @Test func allZeroCountsDrawAxesOnly() {
        let data = HistogramData(
            binEdges: [-0.5, 0, 0.5], floatCounts: [0, 0], quantizedCounts: [0, 0], levels: [-0.5, 0, 0.5])
        expectBuffer(
            render(HistogramView(data: data), size: Size(width: 24, height: 6)),
            lines: [
                "   0│              float",
                "    │",
                "    ┼┬────────┬────────┬",
                "    │          quantized",
                "   0│           3 levels",
                "     -0.5     0      0.5",
            ])
    }

    @Test func singleBinFillsThePlot() {
        let data = HistogramData(binEdges: [2, 3], floatCounts: [7], quantizedCounts: [7], levels: [2.5])
        expectBuffer(
            render(HistogramView(data: data), size: Size(width: 20, height: 5)),
            lines: [
                "   7│███████████████",
                "    │███████████████",
                "    ┼───────┬───────",
                "   7│███████████████",
                "     2             3",
            ])
    }

    @Test func levelsOutsideTheRangeShowArrows() {
        let data = HistogramData(
            binEdges: [-1, 0, 1], floatCounts: [3, 3], quantizedCounts: [3, 3], levels: [-4, -0.5, 0.5, 4, .nan])
        expectBuffer(
            render(HistogramView(data: data), size: Size(width: 20, height: 5)),
            lines: [
                "   3│███████████████",
                "    │███████████████",
                "    ┼<──┬───────┬──>",
                "   3│███████████████",
                "     -1     0      1",
            ])
    }

    @Test func tinyAreasShedRowsAndLabels() {
        let view = HistogramView(data: Self.small)
        expectBuffer(
            render(view, size: Size(width: 1, height: 1)),
            lines: [
                "█"
            ])
        expectBuffer(
            render(view, size: Size(width: 8, height: 1)),
            lines: [
                "▁▂▅██▅▂▁"
            ])
        expectBuffer(
            render(view, size: Size(width: 8, height: 2)),
            lines: [
                "▁▂▅██▅▂▁",
                "┬─┬░┬─┬┬",
            ])
        expectBuffer(
            render(view, size: Size(width: 8, height: 3)),
            lines: [
                "▁▂▅██▅▂▁",
                "┬─┬░┬─┬┬",
                "▔ ▀░█ ▀▔",
            ])
        expectBuffer(
            render(view, size: Size(width: 15, height: 4)),
            lines: [
                "▁▁▂▂▅▅████▅▅▂▂▁",
                "┬──┬──░┬░──┬──┬",
                "▔▔  ▀▀░░██  ▀▀▔",
                "-1     0      1",
            ])
    }

    @Test(arguments: [(0, 1), (1, 1), (15, 15), (16, 11), (40, 35), (100, 95)])
    func binCountFollowsThePlotWidth(width: Int, bins: Int) {
        #expect(HistogramView.binCount(forWidth: width) == bins)
        if width > 0 {
            #expect(HistogramView.Geometry(area: Rect(x: 0, y: 0, width: width, height: 10)).plot.width == bins)
        }
    }

    @Test func resamplingSumsOrRepeatsBins() {
        let columns = HistogramColumns(width: 4, range: 0...1)
        #expect(columns.resample([1, 2, 3, 4, 5, 6, 7, 8]) == [3, 7, 11, 15])
        #expect(columns.resample([1, 2]) == [1, 1, 2, 2])
        #expect(columns.resample([]) == [0, 0, 0, 0])
        #expect(columns.resample([-5, 5]) == [0, 0, 5, 5])
        #expect(columns.column(of: 1) == 3)
        #expect(columns.column(of: 1.00001) == 3)
        #expect(columns.column(of: 1.01) == nil)
        #expect(columns.columns(of: -2...0.3) == 0...1)
        #expect(columns.columns(of: 2...3) == nil)
    }

    @Test(arguments: [
        (0, "0"), (812, "812"), (2100, "2.1k"), (9999, "9.9k"), (45_000, "45k"), (999_999, "999k"),
        (1_234_567, "1.2M"), (-3, "0"), (Int.max, "999G"),
    ])
    func countsFitInFourColumns(count: Int, text: String) {
        #expect(TextFitting.compactCount(count) == text)
    }

    @Test(arguments: [
        (Float(-0.523), "-0.523"), (0.5, "0.5"), (0, "0"), (0.0000123, "1.23e-5"), (12345, "1.23e4"),
        (.infinity, "?"),
    ])
    func axisValuesHaveThreeSignificantDigits(value: Float, text: String) {
        #expect(HistogramView.axisValue(value) == text)
    }
}

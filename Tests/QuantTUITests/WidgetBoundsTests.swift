import QuantTestSupport
import Testing

@testable import QuantTUI

/// Every widget, with random data, drawn into random areas (including empty and 1×1 ones) of a
/// buffer pre-filled with a sentinel: the sentinel must survive everywhere outside the area, and
/// nothing may crash.
@Suite struct WidgetBoundsTests {
    static let sentinel = Cell("¤", style: Style(foreground: .magenta))
    static let screen = Size(width: 48, height: 16)

    /// A random instance of every widget, built from `random`.
    static func widgets(_ random: inout SeededRandom) -> [(name: String, widget: any Widget)] {
        let glyphs: GlyphSet = random.next(in: 0...1) == 0 ? .unicode : .ascii
        let text = { (random: inout SeededRandom) -> String in
            String(repeating: "wörd ", count: random.next(in: 0...12))
        }
        let binCount = random.next(in: 0...70)
        let lower = Float(random.next(in: -50...0)) / 10
        let upper = lower + Float(random.next(in: 0...60)) / 10
        let edges = binCount == 0 ? [] : (0...binCount).map { lower + (upper - lower) * Float($0) / Float(binCount) }
        let counts = (0..<binCount).map { _ in random.next(in: -2...3000) }
        let levels = (0..<random.next(in: 0...300)).map { _ in Float(random.next(in: -80...80)) / 10 }
        let histogram = HistogramData(
            binEdges: edges, floatCounts: counts, quantizedCounts: counts.reversed(), levels: levels + [.nan],
            prunedBand: random.next(in: 0...1) == 0 ? nil : -Float(random.next(in: 0...30)) / 10...1)
        let columns = (0..<random.next(in: 0...5)).map { index in
            TableColumn(
                title: text(&random),
                width: random.next(in: 0...1) == 0
                    ? .fixed(random.next(in: -1...12)) : .flexible(min: random.next(in: -1...9)),
                alignment: index % 2 == 0 ? .left : .right, priority: random.next(in: 0...3))
        }
        let rows = (0..<random.next(in: 0...30)).map { _ in (0..<random.next(in: 0...6)).map { _ in text(&random) } }
        let values = (0..<random.next(in: 0...80)).map { _ in random.nextUnit() * 2 - 0.5 }
        let sections = (0..<random.next(in: 0...4)).map { _ in
            HelpSection(
                title: text(&random),
                entries: (0..<random.next(in: 0...8)).map { _ in (keys: text(&random), description: text(&random)) })
        }
        return [
            (
                "frame",
                Frame(title: text(&random), info: text(&random), footer: text(&random), isFocused: true, glyphs: glyphs)
            ),
            (
                "table",
                TableView(
                    columns: columns, rows: rows, selectedRow: random.next(in: -1...31), markedRows: [0, 3, 99],
                    scrollOffset: random.next(in: -3...40), emptyMessage: text(&random), glyphs: glyphs)
            ),
            (
                "histogram",
                HistogramView(data: histogram, scale: random.next(in: 0...1) == 0 ? .linear : .log, glyphs: glyphs)
            ),
            (
                "sparkline",
                SparklineView(values: values + [.nan], range: random.next(in: 0...1) == 0 ? nil : 0...1, glyphs: glyphs)
            ),
            ("bar", BarView(fraction: random.nextUnit() * 1.4 - 0.2, label: text(&random), glyphs: glyphs)),
            (
                "gauge",
                GaugeView(
                    entries: [
                        .init(name: text(&random), fraction: random.nextUnit(), value: text(&random)),
                        .init(name: "current", fraction: 2, value: "200%"),
                    ], glyphs: glyphs)
            ),
            (
                "dialog",
                DialogView(
                    title: text(&random), lines: [text(&random), text(&random)],
                    input: random.next(in: 0...1) == 0 ? nil : text(&random), options: [text(&random), "b", "c"],
                    selectedOption: random.next(in: -1...3), footer: text(&random), glyphs: glyphs)
            ),
            ("help", HelpView(sections: sections, scrollOffset: random.next(in: -2...30), glyphs: glyphs)),
            (
                "too small",
                TooSmallView(
                    have: Size(width: random.next(in: 0...200), height: random.next(in: 0...99)),
                    need: Size(width: 80, height: 24), glyphs: glyphs)
            ),
            (
                "status bar",
                StatusBarView(
                    sessionName: text(&random), hasUnsavedChanges: random.next(in: 0...1) == 0,
                    hints: [("q", "quit"), ("?", text(&random))], message: text(&random),
                    isError: random.next(in: 0...1) == 0,
                    glyphs: glyphs)
            ),
        ]
    }

    /// Renders `widget` into `area` of a sentinel-filled buffer and checks every outside cell.
    static func checkStaysInside(_ widget: any Widget, name: String, area: Rect) {
        var buffer = ScreenBuffer(size: screen)
        buffer.fill(buffer.area, with: sentinel)
        widget.render(in: area, into: &buffer)
        for row in 0..<screen.height {
            for column in 0..<screen.width where !area.contains(column: column, row: row) {
                guard buffer[column, row] == sentinel else {
                    Issue.record("\(name) wrote (\(column),\(row)) outside \(area)")
                    return
                }
            }
        }
    }

    @Test(arguments: 0..<150)
    func randomWidgetsStayInsideRandomAreas(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 7919)
        let widgets = Self.widgets(&random)
        let width = seed % 10 == 0 ? random.next(in: 0...1) : random.next(in: 0...Self.screen.width)
        let height = seed % 10 == 1 ? random.next(in: 0...1) : random.next(in: 0...Self.screen.height)
        let area = Rect(
            x: random.next(in: 0...(Self.screen.width - width)), y: random.next(in: 0...(Self.screen.height - height)),
            width: width, height: height)
        for (name, widget) in widgets {
            Self.checkStaysInside(widget, name: name, area: area)
        }
    }

    @Test func everyWidgetAtEverySmallSize() {
        var random = SeededRandom(seed: 42)
        let widgets = Self.widgets(&random)
        for width in 0...12 {
            for height in 0...6 {
                for (name, widget) in widgets {
                    Self.checkStaysInside(widget, name: name, area: Rect(x: 3, y: 2, width: width, height: height))
                }
            }
        }
    }

    @Test func areasPartlyOutsideTheBufferAreClipped() {
        var random = SeededRandom(seed: 3)
        for (name, widget) in Self.widgets(&random) {
            var buffer = ScreenBuffer(size: Size(width: 10, height: 4))
            widget.render(in: Rect(x: 6, y: 2, width: 30, height: 9), into: &buffer)
            widget.render(in: Rect(x: -5, y: -3, width: 8, height: 5), into: &buffer)
            #expect(buffer.size == Size(width: 10, height: 4), "\(name)")
        }
    }
}

import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct BarViewTests {
    @Test(arguments: [
        (0.0, ""), (0.5, "█████"), (0.62, "██████▎"), (0.66, "██████▋"), (1.0, "██████████"), (1.7, "██████████"),
        (-0.2, ""), (Double.nan, ""), (0.01, "▏"),
    ])
    func fractionsFillEighths(fraction: Double, bar: String) {
        #expect(BarView(fraction: fraction).barText(width: 10) == bar)
    }

    @Test func asciiUsesEqualsSigns() {
        #expect(BarView(fraction: 0.66, glyphs: .ascii).barText(width: 10) == "======-")
        #expect(BarView(fraction: 0.61, glyphs: .ascii).barText(width: 10) == "======")
    }

    @Test func labelSitsAfterTheBarOnTheMiddleRow() {
        let bar = BarView(fraction: 0.62, label: "62%")
        expectBuffer(
            render(bar, size: Size(width: 14, height: 3)),
            lines: [
                "██████▎",
                "██████▎    62%",
                "██████▎",
            ])
        expectBuffer(
            render(bar, size: Size(width: 5, height: 1)),
            lines: [
                "███▏"
            ])
    }

    @Test func gaugeComparesFloatWithCurrent() {
        let gauge = GaugeView(entries: [
            .init(name: "float", fraction: 0.982, value: "98.2%"),
            .init(name: "current", fraction: 0.91, value: "91.0%", style: Style(foreground: .yellow)),
        ])
        expectBuffer(
            render(gauge, size: Size(width: 30, height: 2)),
            lines: [
                "float   ███████████████▊ 98.2%",
                "current ██████████████▌  91.0%",
            ])
        expectBuffer(
            render(gauge, size: Size(width: 14, height: 3)),
            lines: [
                "float   █████▉",
                "current █████▌",
                "",
            ])
        expectBuffer(
            render(gauge, size: Size(width: 6, height: 1)),
            lines: [
                "█████▉"
            ])
        let buffer = render(gauge, size: Size(width: 30, height: 2))
        #expect(buffer[8, 1].style.foreground == .yellow)
    }

    @Test func asciiGauge() {
        let gauge = GaugeView(entries: [.init(name: "size", fraction: 0.25, value: "25%")], glyphs: .ascii)
        expectBuffer(
            render(gauge, size: Size(width: 20, height: 1)),
            lines: [
                "size ==-         25%"
            ])
    }
}

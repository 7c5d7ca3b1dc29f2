import QuantCore
import Testing

@testable import QuantTUI

/// The threshold prompt shows what the typed value would prune, live (issue 15.10).
@Suite struct ThresholdPreviewTests {
    @Test func typingAThresholdShowsTheSparsityItGives() {
        var state = ReducerTests.state()
        // 100 weights: |w| = 0.005, 0.010, …, 0.500.
        let weights = (1...100).map { Float($0) * 0.005 * ($0 % 2 == 0 ? 1 : -1) }
        state.weightMagnitudes["fc1"] = WeightMagnitudes(weights)
        ReducerTests.press([.character("t")], &state)
        ReducerTests.press("0.1".map { .character($0) }, &state)
        guard case .prompt(let prompt) = state.overlay else {
            Issue.record("no prompt")
            return
        }
        let expected = Double(weights.filter { $0.magnitude <= 0.1 }.count)
        #expect(prompt.preview == "|w| ≤ 0.1 prunes \(String(format: "%.1f", expected)) % of fc1")
        #expect(prompt.hint == "fc1: largest |w| is 0.5")
        ReducerTests.press([.backspace, .backspace, .backspace, .character("x")], &state)
        if case .prompt(let prompt) = state.overlay { #expect(prompt.preview == "'x' is not a number yet") }
    }

    @Test func largeLayersGiveAnApproximationWithinOneSample() {
        let weights = (0..<100_000).map { Float(($0 * 7919) % 100_000) / 100_000 }
        let magnitudes = WeightMagnitudes(weights)
        #expect(!magnitudes.isExact && magnitudes.count == 100_000)
        for threshold: Float in [0.1, 0.25, 0.5, 0.9] {
            let exact = Double(weights.filter { $0 <= threshold }.count) / Double(weights.count)
            #expect(abs(magnitudes.fractionPruned(atThreshold: threshold) - exact) <= 2.0 / 4096)
        }
        #expect(magnitudes.maximum == weights.max())
    }

    @Test func theDialogDrawsThePreview() {
        var state = ReducerTests.state()
        state.screenSize = Size(width: 80, height: 24)
        state.weightMagnitudes["fc1"] = WeightMagnitudes([0.1, -0.2, 0.3, 0.5])
        ReducerTests.press([.character("t"), .character("0"), .character("."), .character("2")], &state)
        var buffer = ScreenBuffer(size: state.screenSize)
        DashboardView().render(
            state, capabilities: TerminalCapabilities(hasColor: true, isUnicode: true), into: &buffer)
        #expect(buffer.lines.joined(separator: "\n").contains("|w| ≤ 0.2 prunes 50.0 % of fc1"))
    }
}

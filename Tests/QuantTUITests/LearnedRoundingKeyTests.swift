import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Issue 17.1: `R` turns learned rounding on and off for the selected (or marked) layers; the
/// bits column shows `+ar` (`+ab` with bias correction). Float and non-affine layers refuse it.
@Suite struct LearnedRoundingKeyTests {
    @Test func rTogglesLearnedRoundingOfAQuantizedLayer() {
        var state = BiasCorrectionKeyTests.state()
        ReducerTests.press([.character("4")], &state)
        let effects = ReducerTests.press([.character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .learned)
        #expect(effects == [.apply(state.plan, generation: 2), .autosave])
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+ar")
        ReducerTests.press([.character("B")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+ab")
        ReducerTests.press([.character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .nearestEven)
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+bc")
        ReducerTests.press([.character("u"), .character("u")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .learned)
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+ar")
    }

    @Test func floatAndNonAffineLayersSayWhy() {
        var state = BiasCorrectionKeyTests.state()
        ReducerTests.press([.character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .nearestEven)
        #expect(state.message?.text == "learned rounding needs quantized weights")
        state.plan.layers["fc1"] = LayerSettings(bitWidth: 3, scheme: .kmeans)
        ReducerTests.press([.character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .nearestEven)
        #expect(state.message?.text.contains("learned rounding needs an affine scheme") == true)
    }

    /// Learned rounding learns on the model's own weights, which equalization rescales: the two
    /// keys refuse each other on one layer, saying why, instead of a plan that cannot apply.
    @Test func equalizationAndLearnedRoundingRefuseEachOther() {
        var state = BiasCorrectionKeyTests.state()
        ReducerTests.press([.character("4"), .character("E")], &state)
        #expect(state.plan.settings(for: "fc1").equalize)
        ReducerTests.press([.character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .nearestEven)
        #expect(state.message?.text == "learned rounding does not combine with equalization (E) yet")
        ReducerTests.press([.character("E"), .character("R")], &state)
        #expect(state.plan.settings(for: "fc1").rounding == .learned)
        ReducerTests.press([.character("E")], &state)
        #expect(!state.plan.settings(for: "fc1").equalize)
        #expect(state.message?.text == "equalization does not combine with learned rounding (R) yet")
    }

    @Test func theKeyIsInTheHelp() {
        let binding = Keymap.standard.bindings.first { $0.action == .toggleLearnedRounding }
        #expect(binding?.keys == [.character("R")])
        let keys = Keymap.standard.bindings.flatMap(\.keys)
        #expect(keys.filter { $0 == .character("R") }.count == 1, "R is bound once")
        let help = Keymap.standard.helpSections.flatMap(\.entries)
        #expect(help.contains { $0.keys == "R" && $0.description.hasPrefix("learned rounding on/off") })
    }
}

import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Issue 17.1: `B` turns bias correction on and off for the selected (or marked) layers; the
/// bits column shows `+bc`. Float layers and layers without a bias refuse it with a reason.
@Suite struct BiasCorrectionKeyTests {
    static func state() -> AppState {
        var state = ReducerTests.state(layers: 2)
        state.layers[0].biasName = "fc1.bias"
        state.layers[0].biasCount = 10
        return state
    }

    @Test func bTogglesTheCorrectionOfAQuantizedLayer() {
        var state = Self.state()
        ReducerTests.press([.character("4")], &state)
        let effects = ReducerTests.press([.character("B")], &state)
        #expect(state.plan.settings(for: "fc1").biasCorrection)
        #expect(effects == [.apply(state.plan, generation: 2), .autosave])
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+bc")
        ReducerTests.press([.character("B")], &state)
        #expect(!state.plan.settings(for: "fc1").biasCorrection)
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4")
        ReducerTests.press([.character("u")], &state)
        #expect(state.plan.settings(for: "fc1").biasCorrection)
    }

    @Test func floatLayersAndLayersWithoutABiasSayWhy() {
        var state = Self.state()
        ReducerTests.press([.character("B")], &state)
        #expect(!state.plan.settings(for: "fc1").biasCorrection)
        #expect(state.message?.text == "bias correction needs quantized or pruned weights")
        ReducerTests.press([.down, .character("4"), .character("B")], &state)
        #expect(!state.plan.settings(for: "fc2").biasCorrection)
        #expect(state.message?.text == "fc2: the layer has no constant bias to correct")
    }

    @Test func theKeyIsInTheHelp() {
        let binding = Keymap.standard.bindings.first { $0.action == .toggleBiasCorrection }
        #expect(binding?.keys == [.character("B")])
        let help = Keymap.standard.helpSections.flatMap(\.entries)
        #expect(help.contains { $0.keys == "B" && $0.description.hasPrefix("bias correction on/off") })
    }
}

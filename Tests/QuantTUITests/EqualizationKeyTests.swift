import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Issue 17.1: `E` turns cross-layer equalization with the next layer on and off for the selected
/// (or marked) layers; the bits column shows `+eq`. Layers the workbench cannot pair refuse it
/// with its reason, as do layers with quantized output activations.
@Suite struct EqualizationKeyTests {
    @Test func eTogglesEqualizationAndUndoes() {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("4")], &state)
        let effects = ReducerTests.press([.character("E")], &state)
        #expect(state.plan.settings(for: "fc1").equalize)
        #expect(effects == [.apply(state.plan, generation: 2), .autosave])
        #expect(state.plan.settings(for: "fc1").bitWidthLabelWithCorrections == "4+eq")
        var both = state.plan.settings(for: "fc1")
        both.biasCorrection = true
        #expect(both.bitWidthLabelWithCorrections == "4+ebc")
        ReducerTests.press([.character("E")], &state)
        #expect(!state.plan.settings(for: "fc1").equalize)
        ReducerTests.press([.character("u")], &state)
        #expect(state.plan.settings(for: "fc1").equalize)
    }

    @Test func layersThatCannotBeEqualizedSayWhy() {
        var state = ReducerTests.state(layers: 2)
        state.equalizationProblems["fc2"] = "no layer follows it"
        ReducerTests.press([.down, .character("E")], &state)
        #expect(!state.plan.settings(for: "fc2").equalize)
        #expect(state.message?.text == "fc2: cannot equalize with the next layer: no layer follows it")
        ReducerTests.press([.up, .character("a"), .character("E")], &state)
        #expect(!state.plan.settings(for: "fc1").equalize)
        #expect(state.message?.text.hasPrefix("fc1: cannot equalize a layer whose output activations") == true)
    }

    @Test func theKeyIsInTheHelp() {
        let binding = Keymap.standard.bindings.first { $0.action == .toggleEqualization }
        #expect(binding?.keys == [.character("E")])
        let help = Keymap.standard.helpSections.flatMap(\.entries)
        #expect(help.contains { $0.keys == "E" && $0.description.hasPrefix("cross-layer equalization") })
        // No other binding uses E.
        #expect(Keymap.standard.bindings.filter { $0.keys.contains(.character("E")) }.count == 1)
    }
}

import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Issue 17.4: `x` cycles structured pruning (whole filters removed: none → 25 → 50 → 75 % →
/// none) on the selected or marked layers; the prune column shows it; layers whose removal
/// cannot propagate refuse it with the reason.
@Suite struct FilterPruningKeyTests {
    @Test func xCyclesTheFractionOfFiltersAndUndoes() {
        var state = ReducerTests.state(layers: 2)
        var seen: [PruningRule?] = []
        for _ in 0..<4 {
            let effects = ReducerTests.press([.character("x")], &state)
            seen.append(state.plan.settings(for: "fc1").pruning)
            #expect(effects.contains(.autosave))
        }
        #expect(seen == [.filters(0.25), .filters(0.5), .filters(0.75), nil])
        #expect(state.plan.settings(for: "fc2").pruning == nil)
        ReducerTests.press([.character("u")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .filters(0.75))
        #expect(state.plan.settings(for: "fc1").pruningLabel == "filters 75%")
        // Another rule gives way to filters, starting at 25 %.
        ReducerTests.press([.character("]"), .character("x")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .filters(0.25))
    }

    @Test func layersWhoseRemovalCannotPropagateSayWhy() {
        var state = ReducerTests.state(layers: 2)
        state.filterPruningProblems["fc2"] = "its output reaches the graph output 'logits'"
        ReducerTests.press([.down, .character("x")], &state)
        #expect(state.plan.settings(for: "fc2").pruning == nil)
        #expect(
            state.message?.text == "fc2: filters cannot be removed: its output reaches the graph output 'logits'")
        // Marked layers: the one that can is pruned, the other says why.
        ReducerTests.press([.character("*"), .character("x")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .filters(0.25))
        #expect(state.plan.settings(for: "fc2").pruning == nil)
    }

    @Test func theSettingsFormOffersFilterFractions() {
        let field = LayerSettingField.all.first { $0.name == "prune" }
        let labels = field.map { $0.choices(LayerSettings(bitWidth: 8), nil).map(\.pruningLabel) } ?? []
        #expect(labels.contains("filters 25%") && labels.contains("filters 50%") && labels.contains("filters 75%"))
    }

    @Test func theKeyIsInTheHelp() {
        let binding = Keymap.standard.bindings.first { $0.action == .cycleFilterPruning }
        #expect(binding?.keys == [.character("x")])
        let help = Keymap.standard.helpSections.flatMap(\.entries)
        #expect(help.contains { $0.keys == "x" && $0.description.hasPrefix("remove whole filters") })
        #expect(Keymap.standard.bindings.filter { $0.keys.contains(.character("x")) }.count == 1)
    }
}

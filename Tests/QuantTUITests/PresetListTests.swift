import QuantCore
import Testing

@testable import QuantTUI

/// The preset list (issue 15.14): filter, delete and rename, each confirmed.
@Suite struct PresetListTests {
    static func listed(_ names: [String]) -> AppState {
        var state = ReducerTests.state()
        state.sessionName = "mlp-b"
        _ = Reducer.reduce(
            &state,
            .presetsListed(
                names.map { name in
                    let model = name.hasPrefix("cnn") ? "demo-cnn.onnx" : "demo-mlp.onnx"
                    return PresetListing(name: name, label: "\(name)  \(model)  95.00 %")
                }))
        return state
    }

    static func choice(_ state: AppState) -> Choice? {
        if case .choice(let choice) = state.overlay { return choice }
        return nil
    }

    @Test func slashFiltersTheListAndEnterLoadsTheHighlightedMatch() {
        var state = Self.listed(["cnn-a", "mlp-a", "mlp-b"])
        ReducerTests.press([.character("/")] + "MLP".map { .character($0) }, &state)
        #expect(Self.choice(state)?.visible == [1, 2])
        #expect(Self.choice(state)?.selected == 1)
        // j would have typed into the filter; after Enter it moves again.
        ReducerTests.press([.enter, .character("j")], &state)
        #expect(Self.choice(state)?.selected == 2 && Self.choice(state)?.isFiltering == false)
        let effects = ReducerTests.press([.enter], &state)
        #expect(effects == [.load(name: "mlp-b")])
    }

    @Test func aFilterMatchingNothingLoadsNothing() {
        var state = Self.listed(["cnn-a", "mlp-a"])
        ReducerTests.press([.character("/"), .character("z"), .enter], &state)
        #expect(Self.choice(state)?.visible == [])
        #expect(ReducerTests.press([.character("d"), .character("r"), .enter], &state).isEmpty)
    }

    @Test func deleteAsksFirstAndTheListComesBack() {
        var state = Self.listed(["mlp-a", "mlp-b"])
        ReducerTests.press([.character("j"), .character("d")], &state)
        #expect(state.overlay == .confirm(.deletePreset("mlp-b")))
        // n keeps it and shows the list again.
        #expect(ReducerTests.press([.character("n")], &state) == [.listPresets])
        #expect(state.message?.text == "preset mlp-b kept")
        state = Self.listed(["mlp-a", "mlp-b"])
        ReducerTests.press([.character("j"), .character("d")], &state)
        #expect(ReducerTests.press([.character("y")], &state) == [.deletePreset("mlp-b")])
        // Deleting this session's own preset leaves the session unsaved.
        let effects = Reducer.reduce(
            &state, .presetChanged(name: "mlp-b", renamed: nil, message: "deleted preset mlp-b"))
        #expect(effects == [.listPresets])
        #expect(state.sessionName == nil && state.hasUnsavedChanges)
    }

    @Test func renameIsPrefilledValidatedAndConfirmed() {
        var state = Self.listed(["mlp-a", "mlp-b"])
        ReducerTests.press([.character("j"), .character("r")], &state)
        guard case .prompt(let prompt) = state.overlay else {
            Issue.record("no rename prompt")
            return
        }
        #expect(prompt.text == "mlp-b" && prompt.isPrefilled && prompt.title == "Rename preset mlp-b")
        ReducerTests.press([.enter], &state)
        if case .prompt(let open) = state.overlay { #expect(open.error == "that is its name already") }
        ReducerTests.press("../x".map { .character($0) } + [.enter], &state)
        if case .prompt(let open) = state.overlay { #expect(open.error?.hasPrefix("the name") == true) }
        ReducerTests.press([.control("u")] + "final".map { .character($0) } + [.enter], &state)
        #expect(state.overlay == .confirm(.renamePreset("mlp-b", to: "final")))
        #expect(ReducerTests.press([.character("y")], &state) == [.renamePreset("mlp-b", to: "final")])
        _ = Reducer.reduce(&state, .presetChanged(name: "mlp-b", renamed: "final", message: "renamed"))
        #expect(state.sessionName == "final" && !state.hasUnsavedChanges)
    }

    @Test func theListShowsItsColumnsAndKeys() {
        var state = Self.listed(["mlp-a", "mlp-b"])
        state.screenSize = Size(width: 100, height: 30)
        var buffer = ScreenBuffer(size: state.screenSize)
        DashboardView().render(
            state, capabilities: TerminalCapabilities(hasColor: true, isUnicode: true), into: &buffer)
        let screen = buffer.lines.joined(separator: "\n")
        for text in ["name", "model", "top-1", "/ filter", "d delete", "r rename"] {
            #expect(screen.contains(text), "\(text) missing:\n\(screen)")
        }
    }
}

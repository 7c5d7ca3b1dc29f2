import QuantCore
import Testing

@testable import QuantTUI

/// The layer settings dialog (issue 15.11): every plan field settable from the dashboard and
/// visible in its table.
@Suite struct LayerSettingsDialogTests {
    static func press(_ keys: [Key], _ state: inout AppState) { ReducerTests.press(keys, &state) }

    /// The open form, or nil.
    static func form(_ state: AppState) -> SettingsForm? {
        if case .settings(let form) = state.overlay { return form }
        return nil
    }

    /// In the open dialog: highlights `field` and presses → until it shows `value`.
    static func set(_ field: String, to value: String, _ state: inout AppState) {
        guard let index = LayerSettingField.all.firstIndex(where: { $0.name == field }) else {
            Issue.record("no field \(field)")
            return
        }
        while let form = form(state), form.selectedField != index { press([.down], &state) }
        for _ in 0..<40 {
            guard let form = form(state) else { return }
            if LayerSettingField.all[index].value(form.draft) == value { return }
            press([.right], &state)
        }
        Issue.record("\(field) never showed \(value)")
    }

    /// The layer table's text at `width` columns.
    static func tableText(_ state: AppState, width: Int = 160) -> [String] {
        var buffer = ScreenBuffer(size: Size(width: width, height: state.layers.count + 3))
        LayerTablePane(state: state, glyphs: .unicode).render(in: buffer.area, into: &buffer)
        return buffer.lines
    }

    @Test func everyPlanFieldIsSetFromTheDialog() {
        var state = ReducerTests.state()
        Self.press([.character("c")], &state)
        #expect(Self.form(state)?.targets == ["fc1"])
        Self.set("scheme", to: "asymmetric", &state)
        Self.set("bits", to: "3", &state)
        Self.set("granularity", to: "group 64", &state)
        Self.set("range", to: "mse", &state)
        Self.set("rounding", to: "stoch 0", &state)
        Self.set("prune", to: "2:4", &state)
        Self.set("activations", to: "4", &state)
        Self.set("calibration", to: "entropy", &state)
        let effects = ReducerTests.press([.enter], &state)
        #expect(state.overlay == nil)
        #expect(
            state.plan.settings(for: "fc1")
                == LayerSettings(
                    bitWidth: 3, scheme: .asymmetric, granularity: .group(size: 64), range: .mse,
                    rounding: .stochastic(seed: 0), pruning: .pattern(keep: 2, of: 4), activationBits: 4,
                    calibration: .entropy))
        #expect(effects.contains { if case .apply = $0 { true } else { false } })
        #expect(state.plan.settings(for: "fc2") == .float)
        #expect(state.message?.text.hasPrefix("fc1: scheme asymmetric, bits 3, granularity group 64") == true)
        // One undo step brings the layer back.
        Self.press([.character("u")], &state)
        #expect(state.plan.settings(for: "fc1") == .float)
    }

    @Test func thePlanFieldsShowInTheTable() {
        var state = ReducerTests.state()
        state.plan.layers["fc1"] = LayerSettings(bitWidth: 4, range: .mse)
        state.plan.layers["fc2"] = LayerSettings(
            bitWidth: 8, range: .percentile(99.9), rounding: .stochastic(seed: 7), activationBits: 6,
            calibration: .entropy)
        let lines = Self.tableText(state)
        for title in ["range", "round", "act", "calib"] { #expect(lines[1].contains(title), "\(lines[1])") }
        #expect(lines[2].contains("mse") && lines[2].contains("even"), "\(lines[2])")
        #expect(lines[3].contains("p99.9") && lines[3].contains("stoch 7") && lines[3].contains("entropy"))
        // At 100 columns (the usual tmux size) the range column is still there.
        let narrower = Self.tableText(state, width: 100)
        #expect(narrower[1].contains("range") && narrower[2].contains("mse"), "\(narrower[2])")
    }

    @Test func withMarkedLayersOnlyTheChangedFieldsApply() {
        var state = ReducerTests.state()
        Self.press([.character("4"), .down, .character("6"), .character("s"), .character("s")], &state)
        #expect(state.plan.settings(for: "fc2").scheme == .asymmetric)
        Self.press([.home, .character(" "), .down, .character(" "), .down], &state)
        Self.press([.character("c")], &state)
        #expect(Self.form(state)?.targets == ["fc1", "fc2"])
        Self.set("range", to: "mse", &state)
        Self.press([.enter], &state)
        #expect(state.plan.settings(for: "fc1") == LayerSettings(bitWidth: 4, range: .mse))
        #expect(state.plan.settings(for: "fc2") == LayerSettings(bitWidth: 6, scheme: .asymmetric, range: .mse))
        #expect(state.plan.settings(for: "fc3") == .float)
        #expect(state.message?.text == "applied to 2 marked: fc1, fc2")
    }

    @Test func aSchemeWithAFixedWidthGivesTheChosenWidthBack() {
        var state = ReducerTests.state()
        Self.press([.character("3"), .character("c")], &state)
        Self.set("scheme", to: "nf4", &state)
        #expect(Self.form(state)?.draft.bitWidth == 4)
        Self.set("scheme", to: "kmeans", &state)
        #expect(Self.form(state)?.draft.bitWidth == 3)
        // Going left also works; the list wraps.
        Self.press([.left], &state)
        #expect(Self.form(state)?.draft.scheme == Scheme.allCases[Scheme.allCases.firstIndex(of: .kmeans)! - 1])
    }

    @Test func escapeCancelsAndAnUnchangedDialogSaysSo() {
        var state = ReducerTests.state()
        Self.press([.character("c")], &state)
        Self.set("bits", to: "5", &state)
        Self.press([.escape], &state)
        #expect(state.overlay == nil && state.plan.settings(for: "fc1") == .float && state.undoStack.isEmpty)
        let effects = ReducerTests.press([.enter, .enter], &state)
        #expect(effects.isEmpty && state.message?.text == "layer settings: nothing changed")
    }

    @Test func unusedFieldsSayWhy() {
        var state = ReducerTests.state()
        Self.press([.character("c")], &state)
        Self.set("calibration", to: "mse", &state)
        #expect(Self.form(state)?.explanation.last == "unused here: activations are float: pick activation bits")
        #expect(Self.form(state)?.rows.last?.hasSuffix("(unused)") == true)
    }

    @Test func theDialogFitsAt80x24AndListsEveryField() {
        var state = ReducerTests.state()
        state.screenSize = Size(width: 80, height: 24)
        Self.press([.character("c")], &state)
        var buffer = ScreenBuffer(size: state.screenSize)
        DashboardView().render(
            state, capabilities: TerminalCapabilities(hasColor: true, isUnicode: true), into: &buffer)
        let screen = buffer.lines.joined(separator: "\n")
        for field in LayerSettingField.all { #expect(screen.contains(field.name), "\(field.name) missing:\n\(screen)") }
        #expect(screen.contains("Enter apply"))
    }
}

import QuantCore
import Testing

@testable import QuantTUI

/// Editing that flows (issue 15.6, 15.7, 15.9, 15.10): schemes keep the chosen width, marked
/// layers move together and say so, prompts stay open on bad input.
@Suite struct EditingFlowTests {
    static func press(_ keys: [Key], _ state: inout AppState) { ReducerTests.press(keys, &state) }

    @Test func cyclingThroughFixedWidthSchemesBringsTheChosenWidthBack() {
        var state = ReducerTests.state()
        Self.press([.character("3")], &state)
        var widths: [Scheme: Int] = [:]
        for _ in Scheme.allCases {
            Self.press([.character("s")], &state)
            let settings = state.plan.settings(for: "fc1")
            widths[settings.scheme] = settings.bitWidth
        }
        #expect(state.plan.settings(for: "fc1").scheme == .symmetric)
        #expect(state.plan.settings(for: "fc1").bitWidth == 3)
        #expect(widths[.nf4] == 4 && widths[.binary] == 1 && widths[.asymmetric] == 3 && widths[.kmeans] == 3)
        // S goes back, again keeping the width where the scheme allows it.
        Self.press([.character("S")], &state)
        #expect(state.plan.settings(for: "fc1").scheme == Scheme.allCases.last)
        Self.press(Array(repeating: .character("S"), count: Scheme.allCases.count - 1), &state)
        #expect(state.plan.settings(for: "fc1") == LayerSettings(bitWidth: 3))
    }

    @Test func withMarkedLayersSchemeSetsOneSchemeForAllAndSaysWhere() {
        var state = ReducerTests.state()
        Self.press([.character("4"), .down, .character("6")], &state)
        Self.press([.down, .character("s"), .character("s")], &state)  // fc3: asymmetric
        Self.press([.home, .character(" "), .down, .character(" ")], &state)
        Self.press([.character("s")], &state)
        #expect(state.plan.settings(for: "fc1").scheme == .symmetricFull)
        #expect(state.plan.settings(for: "fc2").scheme == .symmetricFull)
        #expect(state.plan.settings(for: "fc1").bitWidth == 4 && state.plan.settings(for: "fc2").bitWidth == 6)
        #expect(state.plan.settings(for: "fc3").scheme == .asymmetric)
        #expect(state.message?.text == "applied to 2 marked: fc1, fc2")
    }

    @Test func aSparsityAbove99IsRefusedAndThePromptStaysOpen() {
        var state = ReducerTests.state()
        Self.press([.character("p")] + "99.5".map { .character($0) } + [.enter], &state)
        guard case .prompt(let prompt) = state.overlay else {
            Issue.record("the prompt closed")
            return
        }
        #expect(prompt.error == "'99.5' is not a sparsity (0 to 99 %)")
        #expect(state.plan.settings(for: "fc1").pruning == nil)
        // Typing edits the text and clears the error; 99 is accepted.
        Self.press([.backspace, .backspace, .enter], &state)
        #expect(state.overlay == nil)
        #expect(state.plan.settings(for: "fc1").pruning == .sparsity(0.99))
    }

    @Test func thePruningPromptsArePrefilledAndShowTheLargestWeight() {
        var state = ReducerTests.state()
        Self.press([.character("t")] + "0.02".map { .character($0) } + [.enter], &state)
        Self.press([.character("t")], &state)
        guard case .prompt(let prompt) = state.overlay else {
            Issue.record("no prompt")
            return
        }
        #expect(prompt.text == "0.02" && prompt.isPrefilled)
        #expect(prompt.hint == "fc1: largest |w| is 0.5")
        // Typing replaces the pre-filled value.
        Self.press("0.1".map { .character($0) } + [.enter], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .threshold(0.1))
    }

    @Test func asciiModeSpellsLessOrEqual() {
        var state = ReducerTests.state()
        Self.press([.character("t")] + "0.04".map { .character($0) } + [.enter], &state)
        var buffer = ScreenBuffer(size: Size(width: 120, height: 8))
        LayerTablePane(state: state, glyphs: .ascii).render(in: buffer.area, into: &buffer)
        buffer.mapSymbols(SymbolFallback.ascii(for:))
        #expect(buffer.lines[2].contains("|w| <= 0.04"), "\(buffer.lines[2])")
        #expect(!buffer.lines.joined().contains("|w| < 0.04"))
        #expect(GlyphSet.unicode.text("|w| ≤ 0.04") == "|w| ≤ 0.04")
    }

    @Test func theMessageLogKeepsEveryMessageInFull() {
        var state = ReducerTests.state()
        let long = "a message far longer than any status bar could show " + String(repeating: "x", count: 150)
        _ = Reducer.reduce(&state, .failed(long))
        Self.press([.character("u")], &state)  // "nothing to undo"
        #expect(state.messageLog.map(\.text) == [long, "nothing to undo"])
        Self.press([.character("m")], &state)
        #expect(state.overlay == .messages)
        var buffer = ScreenBuffer(size: Size(width: 100, height: 30))
        OverlayView(overlay: .messages, glyphs: .unicode, isUnicode: true, messages: state.messageLog)
            .render(in: buffer.area, into: &buffer)
        let screen = buffer.lines.joined(separator: " ").replacingOccurrences(of: "│", with: " ")
        let words = screen.split(separator: " ")
        #expect(words.contains(Substring(String(repeating: "x", count: 150))) || screen.contains("xxxxxxxx"))
        #expect(screen.contains("nothing to undo"))
        Self.press([.escape], &state)
        #expect(state.overlay == nil)
    }

    @Test func theStatusBarHintsReachSaveLoadAndExportAt100Columns() {
        let hints = Keymap.standard.hints
        var buffer = ScreenBuffer(size: Size(width: 100, height: 1))
        StatusBarView(sessionName: "unsaved session", hasUnsavedChanges: true, hints: hints)
            .render(in: buffer.area, into: &buffer)
        for hint in ["? help", "q quit", "w save", "o load", "e export"] {
            #expect(buffer.lines[0].contains(hint), "\(buffer.lines[0])")
        }
    }

    @Test func at80ColumnsTheTableKeepsTheSparsityColumn() {
        var state = ReducerTests.state()
        state.screenSize = Size(width: 80, height: 24)
        var buffer = ScreenBuffer(size: Size(width: 80, height: 7))
        LayerTablePane(state: state, glyphs: .unicode).render(in: buffer.area, into: &buffer)
        #expect(buffer.lines[1].contains("sparsity"), "\(buffer.lines[1])")
        #expect(buffer.lines[1].contains("bits") && buffer.lines[1].contains("bytes"))
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The abuse run's "help did not open" finding: a save or export asked for right after an edit
/// waits for the plan's exact result; when it then found its preset or file existing, the
/// overwrite question opened at that moment, over whatever the user had opened since (the help,
/// a prompt) or onto a clear screen, and took the next keys (Esc Esc Esc ? left it open). Now
/// such a late question is a status message and whatever is open stays open.
@Suite struct LateQuestionTests {
    @Test(arguments: [
        (QuantTUI.Confirmation.overwritePreset("int4"), "not saved: preset int4 exists; save again (w) to replace it"),
        (
            .overwritePresetOfOtherModel("int4", model: "demo-cnn"),
            "not saved: preset int4 holds another model (demo-cnn); save again (w) to replace it"
        ),
        (
            .overwriteExport(.config, path: "int4.json"),
            "not exported: int4.json exists; export again (e) to replace it"
        ),
    ])
    func aLateQuestionIsAMessageAndLeavesTheOverlayOpen(question: QuantTUI.Confirmation, message: String) {
        var state = ReducerTests.state()
        for overlay in [nil, Overlay.help(offset: 0), .prompt(Prompt(.saveName, text: "other"))] {
            state.overlay = overlay
            state.quitAfterSave = true
            let effects = Reducer.reduce(&state, .questionTooLate(question))
            #expect(effects.isEmpty)
            #expect(state.overlay == overlay)
            #expect(state.message == StatusMessage(message, isError: true))
            #expect(!state.quitAfterSave, "a save meant to quit did not happen: the dashboard stays")
        }
        // Asked in time, the same question opens.
        #expect(Reducer.reduce(&state, .askToConfirm(question)).isEmpty)
        #expect(state.overlay == .confirm(question))
    }

    /// The abuse check's exact sequence through the real loop (no terminal): an edit, a save
    /// under an existing name before the exact result, then Esc Esc Esc ?: the help is open once
    /// the exact result is in, and the existing preset is untouched.
    @Test func escEscEscHelpAfterADeferredSaveOfAnExistingPreset() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try DashboardAppTests.app(folder: folder)
        DashboardAppTests.press([.character("w")] + DashboardSessionTests.type("int4") + [.enter], app)
        let saved = try Data(contentsOf: folder.appendingPathComponent("int4.json"))
        // The session goes on as "other", so int4 is not its own preset any more.
        DashboardAppTests.press([.character("w")] + DashboardSessionTests.type("other") + [.enter], app)
        #expect(app.state.sessionName == "other")

        // No settling between the keys: the save waits for the exact result of the new plan.
        for key in [.character("4"), .character("w")] + DashboardSessionTests.type("int4") + [.enter] {
            app.handle(.key(key))
        }
        #expect(app.state.message?.text.hasPrefix("saving int4 once the exact result is in") == true)
        for key: Key in [.escape, .escape, .escape, .character("?")] { app.handle(.key(key)) }
        app.settle()
        app.render()
        #expect(app.state.overlay == .help(offset: 0))
        #expect(backend.screen.lines.joined().contains("Esc/? closes"))
        #expect(
            app.state.message
                == StatusMessage("not saved: preset int4 exists; save again (w) to replace it", isError: true))
        #expect(try Data(contentsOf: folder.appendingPathComponent("int4.json")) == saved)

        // Saving again once the result is in asks, in context.
        DashboardAppTests.press([.escape, .character("w")] + DashboardSessionTests.type("int4") + [.enter], app)
        #expect(app.state.overlay == .confirm(.overwritePreset("int4")))
    }

    /// The same for an export to an existing file.
    @Test func aDeferredExportToAnExistingFileDoesNotOpenAQuestionLater() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, _) = try DashboardAppTests.app(folder: folder)
        let path = folder.appendingPathComponent("plan.json").path
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path))
        let keys: [Key] =
            [.character("4"), .character("e"), .enter] + Array(repeating: .backspace, count: 40)
            + DashboardSessionTests.type(path) + [.enter, .character("?")]
        for key in keys { app.handle(.key(key)) }
        app.settle()
        #expect(app.state.overlay == .help(offset: 0))
        #expect(app.state.message?.text == "not exported: \(path) exists; export again (e) to replace it")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("{}".utf8))
    }

    /// What the abuse run's "help did not open" finding really was: tmux applied the check's
    /// resize to 120x40 only ~230 ms after `resize-window` returned (it defers a resize that
    /// follows another), so Esc Esc Esc ? reached a dashboard still at a random 23x51, which
    /// ignores keys while too small (nothing may change unseen). The contract the check relies
    /// on, as data: at a too-small size those keys change nothing (an open prompt stays open);
    /// once the resize is in, the same keys close the prompt and open the help.
    @Test func keysWhileTooSmallAreIgnoredAndWorkOnceTheResizeIsIn() {
        var state = ReducerTests.state()
        state.screenSize = Size(width: 120, height: 40)
        ReducerTests.press([.character("t")], &state)
        let prompt = state.overlay
        #expect(prompt != nil)
        _ = Reducer.reduce(&state, .resize(Size(width: 23, height: 51)))
        #expect(Reducer.isTooSmall(state))
        let before = state
        ReducerTests.press([.escape, .escape, .escape, .character("?")], &state)
        #expect(state == before)
        _ = Reducer.reduce(&state, .resize(Size(width: 120, height: 40)))
        ReducerTests.press([.escape, .escape, .escape, .character("?")], &state)
        #expect(state.overlay == .help(offset: 0))
    }
}

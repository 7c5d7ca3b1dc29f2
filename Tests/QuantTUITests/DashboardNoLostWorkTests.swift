import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// No lost work: every change is in the autosave file the moment it is shown, and a save that
/// fails says why and keeps the state unsaved (so quitting still asks).
@Suite struct DashboardNoLostWorkTests {
    /// Saving fails as a full disk would; everything else goes to the real sessions folder.
    final class FailingSavePersistence: ForwardingPersistence {
        override func save(name: String, overwrite: SaveOverwrite, state: AppState) throws -> String {
            throw SessionError.writeFailed(file: "Sessions/\(name).json", reason: "No space left on device")
        }
    }

    /// Each step is one or more keys that change the plan (edits, prompts, undo, redo).
    static let editingSteps: [[Key]] = [
        [.character("4")], [.character("s")], [.character("g")], [.character("]")], [.character("}")],
        [.character("a")], [.down, .character("2")], [.character("-")], [.character("+")],
        [.character("t")] + "0.01".map { .character($0) } + [.enter],
        [.character("p")] + "30".map { .character($0) } + [.enter],
        [.character("*"), .character("6")], [.character("f")], [.character("u")], [.character("u")],
        [.character("r")], [.control("r")],
    ]

    @Test func everyChangeIsAutosavedAtOnce() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, _) = try DashboardAppTests.app(folder: folder)
        let store = SessionStore(folder: folder)
        var plans: [QuantPlan] = []
        for step in Self.editingSteps {
            for key in step { app.handle(.key(key)) }  // no settle: the autosave must not wait
            #expect(app.state.overlay == nil)
            let autosaved = try #require(try store.loadAutosave(), "no autosave after \(step)")
            #expect(autosaved.plan == app.state.plan, "after \(step)")
            plans.append(app.state.plan)
        }
        #expect(Set(plans.map { "\($0)" }).count > 8, "the steps really changed the plan")
        app.settle()
    }

    @Test func aFailedSaveSaysWhyAndKeepsTheChangesUnsaved() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (probe, _) = try DashboardAppTests.app(folder: folder)
        let real = SessionPersistence(
            store: SessionStore(folder: folder), model: try .bundled(.mlp), data: try .demoHeldOut(),
            workbench: probe.workbench)
        let backend = RecordingBackend(size: Size(width: 120, height: 40))
        let app = DashboardApp(
            workbench: probe.workbench, backend: backend, state: probe.state,
            persistence: FailingSavePersistence(real))
        app.start()
        DashboardAppTests.press([.character("4"), .character("w")] + "keep".map { .character($0) } + [.enter], app)
        #expect(
            app.state.message
                == StatusMessage("Sessions/keep.json: cannot write: No space left on device", isError: true))
        #expect(backend.screen.lines[39].contains("Sessions/keep.json: cannot write: No space left on device"))
        #expect(app.state.hasUnsavedChanges)
        #expect(try SessionStore(folder: folder).loadAutosave()?.plan == app.state.plan)
        DashboardAppTests.press([.character("q")], app)
        #expect(app.state.overlay == .confirm(.quitWithUnsavedChanges))
        #expect(!app.state.shouldQuit)
    }
}

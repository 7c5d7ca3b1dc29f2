import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

#if canImport(Glibc)
    import Glibc
#endif

/// Sessions you can trust (issue 15.1–15.3): presets belong to their model, the autosave to one
/// model, data set and running dashboard, and nothing is overwritten without a question.
@Suite(.serialized) struct DashboardSessionTests {
    /// No process has this id (above any `pid_max`).
    static let deadProcess: Int32 = 2_147_483_000

    /// A dashboard on a bundled model whose autosave slot belongs to `process`.
    static func app(
        _ bundled: BundledModel, folder: URL, process: Int32 = getpid(), size: Size = Size(width: 120, height: 40),
        clock: Double = 0
    ) throws -> (DashboardApp, RecordingBackend) {
        let graph = try ONNXModel.load(contentsOf: try bundled.url)
        let workbench = try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(64))
        let name = bundled == .mlp ? "demo-mlp" : "demo-cnn"
        var state = AppState(layers: workbench.layers, modelName: name, dataName: "demo")
        state.sessionsFolder = folder.path
        for layer in workbench.layers {
            state.maxMagnitudes[layer.name] = graph.initializers[layer.weightName]?.storage.map(abs).max() ?? 1
        }
        let model = try FileReference.bundled(bundled)
        let data = try FileReference.demoHeldOut()
        let store = SessionStore(
            folder: folder, autosaveSlot: AutosaveSlot(modelSHA: model.sha256, dataSHA: data.sha256, processID: process)
        )
        let persistence = SessionPersistence(
            store: store, model: model, data: data, workbench: workbench,
            now: { Date(timeIntervalSince1970: 1_800_000_000 + clock) })
        let backend = RecordingBackend(size: size)
        let app = DashboardApp(workbench: workbench, backend: backend, state: state, persistence: persistence)
        app.start()
        app.settle()
        app.render()
        return (app, backend)
    }

    static func press(_ keys: [Key], _ app: DashboardApp) { DashboardAppTests.press(keys, app) }
    static func type(_ text: String) -> [Key] { text.map { .character($0) } }

    static func autosaveFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasPrefix(".autosave")
        }.sorted()
    }

    @Test func anotherModelsPresetIsAppliedOnlyWhenConfirmedAndNeverOverwrittenSilently() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (mlp, _) = try Self.app(.mlp, folder: folder)
        Self.press([.character("3"), .down, .character("2"), .character("w")] + Self.type("mlp-small") + [.enter], mlp)
        #expect(mlp.state.sessionName == "mlp-small")
        let saved = try Data(contentsOf: folder.appendingPathComponent("mlp-small.json"))

        let (cnn, backend) = try Self.app(.cnn, folder: folder)
        let cnnPlan = cnn.state.plan
        Self.press([.character("o"), .enter], cnn)
        guard case .confirm(.applyPresetOfOtherModel(let loaded, let model)) = cnn.state.overlay else {
            Issue.record("no question: \(String(describing: cnn.state.overlay))")
            return
        }
        #expect(model == "demo-mlp")
        #expect(loaded.matchedLayers == ["fc1", "fc2"])
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("Preset 'mlp-small' was made for demo-mlp."))
        #expect(screen.contains("Layers of this model with its names: fc1, fc2."))
        // n: nothing changes.
        Self.press([.character("n")], cnn)
        #expect(cnn.state.plan == cnnPlan && cnn.state.sessionName == nil)
        // y: applied to the matching layers, reported, unsaved, the session keeps no foreign name.
        Self.press([.character("o"), .enter, .character("y")], cnn)
        #expect(cnn.state.plan.settings(for: "fc1").bitWidth == 3)
        #expect(cnn.state.plan.settings(for: "fc2").bitWidth == 2)
        #expect(cnn.state.sessionName == nil && cnn.state.hasUnsavedChanges)
        #expect(cnn.state.message?.text.contains("to 2 matching layers: fc1, fc2; not saved") == true)
        // q, y asks for a name; the MLP preset's name is a question, and n keeps its file.
        Self.press([.character("q"), .character("y")] + Self.type("mlp-small") + [.enter], cnn)
        #expect(cnn.state.overlay == .confirm(.overwritePresetOfOtherModel("mlp-small", model: "demo-mlp")))
        #expect(backend.screen.lines.joined().contains("Preset 'mlp-small' holds another model: demo-mlp."))
        Self.press([.character("n")], cnn)
        #expect(!cnn.state.shouldQuit)
        #expect(try Data(contentsOf: folder.appendingPathComponent("mlp-small.json")) == saved)
    }

    @Test func aPresetRestoresItsSelectedLayer() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, _) = try Self.app(.mlp, folder: folder)
        Self.press([.down, .down, .character("4"), .character("w")] + Self.type("third") + [.enter], first)
        #expect(try SessionStore(folder: folder).load(named: "third").view?.selectedLayer == "fc3")
        let (second, _) = try Self.app(.mlp, folder: folder)
        #expect(second.state.selectedIndex == 0)
        Self.press([.character("o"), .enter], second)
        #expect(second.state.sessionName == "third")
        #expect(second.state.selectedLayer?.name == "fc3")
    }

    @Test func twoDashboardsKeepTwoAutosavesAndOnlyAnEndedOnesIsOffered() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (running, _) = try Self.app(.mlp, folder: folder, process: getpid())
        Self.press([.character("5")], running)
        let (killed, _) = try Self.app(.mlp, folder: folder, process: Self.deadProcess)
        #expect(killed.state.overlay == nil, "a running dashboard's autosave is not offered")
        Self.press([.character("3")], killed)
        #expect(Self.autosaveFiles(folder).count == 2)
        // A CNN dashboard is offered neither.
        let (cnn, _) = try Self.app(.cnn, folder: folder, process: 42)
        #expect(cnn.state.overlay == nil)
        // A new MLP dashboard is offered the ended one's (3 bits), not the running one's (5).
        let (next, _) = try Self.app(.mlp, folder: folder, process: 43)
        #expect(next.state.overlay == .confirm(.restoreAutosave))
        Self.press([.character("y")], next)
        #expect(next.state.plan.settings(for: "fc1").bitWidth == 3)
        #expect(next.state.hasUnsavedChanges)
        // Taken over: the ended dashboard's file is gone once this one's own file holds the state.
        let files = Self.autosaveFiles(folder)
        #expect(files.count == 2)
        #expect(!files.contains { $0.hasSuffix("-\(Self.deadProcess).json") })
        #expect(files.contains { $0.hasSuffix("-43.json") })
    }

    @Test func quittingWithoutSavingDiscardsTheAutosave() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try Self.app(.mlp, folder: folder, process: Self.deadProcess)
        Self.press([.character("4")], app)
        #expect(Self.autosaveFiles(folder).count == 1)
        Self.press([.character("q")], app)
        #expect(backend.screen.lines.joined().contains("n discard changes and quit"))
        Self.press([.character("n")], app)
        #expect(app.state.shouldQuit)
        #expect(Self.autosaveFiles(folder).isEmpty)
        let (next, _) = try Self.app(.mlp, folder: folder, process: 44)
        #expect(next.state.overlay == nil)
    }

    @Test func aFailingAutosaveIsShownUntilOneSucceeds() throws {
        let parent = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        // The sessions "folder" is a file: no autosave can be written.
        let folder = parent.appendingPathComponent("Sessions")
        try Data("not a folder".utf8).write(to: folder)
        let (app, backend) = try Self.app(.mlp, folder: folder)
        Self.press([.character("4")], app)
        #expect(app.state.autosaveFailure != nil)
        #expect(backend.screen.lines[39].contains("autosave failed"))
        // Still shown after the next key replaced the message.
        Self.press([.down], app)
        #expect(backend.screen.lines[39].contains("not autosaved"))
        // Fixed: the next change is autosaved and the warning goes.
        try FileManager.default.removeItem(at: folder)
        Self.press([.character("5")], app)
        #expect(app.state.autosaveFailure == nil)
        #expect(!backend.screen.lines[39].contains("autosave"))
    }

    @Test func theSavePromptReplacesItsPrefilledNameAndEditsWithControlKeys() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try Self.app(.mlp, folder: folder)
        Self.press([.character("4"), .character("w")] + Self.type("mlp-small") + [.enter], app)
        Self.press([.character("5"), .character("w")], app)
        #expect(backend.screen.lines.joined().contains("saved as"))
        guard case .prompt(let opened) = app.state.overlay else {
            Issue.record("no prompt")
            return
        }
        #expect(opened.explanation.hasSuffix("saved as \(folder.path)/NAME.json"))
        #expect(opened.text == "mlp-small" && opened.isPrefilled)
        Self.press(Self.type("other"), app)
        guard case .prompt(var prompt) = app.state.overlay else {
            Issue.record("no prompt")
            return
        }
        #expect(prompt.text == "other")
        #expect(prompt.edit(with: .control("w")) && prompt.text.isEmpty)
        prompt.text = "my plan/v2"
        #expect(prompt.edit(with: .control("w")) && prompt.text == "my plan/")
        #expect(prompt.edit(with: .control("u")) && prompt.text.isEmpty)
        Self.press([.enter], app)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("other.json").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("mlp-smallother.json").path))
    }

    @Test func keysDoNothingWhileTheTerminalIsTooSmall() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try Self.app(.mlp, folder: folder)
        backend.size = Size(width: 60, height: 20)
        app.handle(.resize(Size(width: 60, height: 20)))
        let plan = app.state.plan
        Self.press([.character("4"), .character("s"), .character("e"), .enter, .character("w")], app)
        #expect(app.state.plan == plan && app.state.overlay == nil)
        #expect(backend.screen.lines.joined().contains("too small"))
        // Nothing unsaved: q still quits.
        Self.press([.character("q")], app)
        #expect(app.state.shouldQuit)
    }
}

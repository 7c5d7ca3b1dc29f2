import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The whole dashboard on the demo MLP, driven through a recording terminal: what a user sees.
@Suite struct DashboardAppTests {
    static func app(
        size: Size = Size(width: 120, height: 40), folder: URL? = nil,
        finetune: (training: FinetuneTraining, options: FineTuner.Options)? = nil
    ) throws -> (DashboardApp, RecordingBackend) {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let workbench = try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(64))
        var state = AppState(layers: workbench.layers, modelName: "demo-mlp", dataName: "demo")
        for layer in workbench.layers {
            state.maxMagnitudes[layer.name] = graph.initializers[layer.weightName]?.storage.map(abs).max() ?? 1
        }
        let backend = RecordingBackend(size: size)
        var persistence: SessionPersistence?
        if let folder {
            persistence = SessionPersistence(
                store: SessionStore(folder: folder), model: try .bundled(.mlp), data: try .demoHeldOut(),
                workbench: workbench, now: { Date(timeIntervalSince1970: 1_800_000_000) })
        }
        let app = DashboardApp(
            workbench: workbench, backend: backend, state: state, persistence: persistence, finetune: finetune)
        app.start()
        app.settle()
        app.render()
        return (app, backend)
    }

    static func press(_ keys: [Key], _ app: DashboardApp) {
        for key in keys { app.handle(.key(key)) }
        app.settle()
        app.render()
    }

    @Test func firstScreenShowsEveryPane() throws {
        let (_, backend) = try Self.app()
        let lines = backend.screen.lines
        #expect(lines[0].hasPrefix(" quantdash · demo-mlp · demo (1000 held-out)"))
        #expect(lines[1].hasPrefix("┌─ Layers "))
        #expect(lines[2].contains("layer") && lines[2].contains("bits") && lines[2].contains("SQNR dB"))
        #expect(lines[3].contains("fc1") && lines[3].contains("256×784") && lines[3].contains("float"))
        let screen = lines.joined(separator: "\n")
        #expect(screen.contains("Histogram · fc1"))
        #expect(screen.contains("float     top-1  95.80 %  (1000 images)"))
        #expect(screen.contains("Size (C export)"))
        #expect(screen.contains("every layer stored dense"))
        #expect(screen.contains("float32 918.5 KiB → 918.5 KiB"))
        #expect(lines[39].contains("unsaved session") && lines[39].contains("q quit"))
    }

    @Test func settingBitsUpdatesTableAccuracyAndSize() throws {
        let (app, backend) = try Self.app()
        Self.press([.character("4")], app)
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(backend.screen.lines[3].contains("4 symmetric"))
        #expect(screen.contains("4-bit symmetric channel"))
        #expect(screen.contains("current   top-1"))
        #expect(screen.contains("exact"))
        #expect(screen.contains("agrees with float"))
        #expect(!screen.contains("float32 918.5 KiB → 918.5 KiB"))
        #expect(app.state.evaluation.exact?.isExact == true)
        #expect(app.state.accuracyHistory.count == 2)  // the starting float plan, then 4 bits
        #expect(app.state.hasUnsavedChanges)
    }

    @Test func movingTheSelectionRedrawsOnlyWhatChanged() throws {
        let (app, backend) = try Self.app()
        let before = backend.cellsPerFrame.count
        Self.press([.down], app)
        #expect(backend.cellsPerFrame.count == before + 1)
        // Two table rows swap highlight and the histogram shows fc2: far fewer cells than 120×40.
        let changed = try #require(backend.cellsPerFrame.last)
        #expect(changed > 0 && changed < 120 * 40 / 2)
        #expect(backend.screen.lines.joined().contains("Histogram · fc2"))
    }

    @Test func eightyByTwentyFourIsUsableAndSmallerShowsTheNotice() throws {
        let (app, backend) = try Self.app(size: Size(width: 80, height: 24))
        Self.press([.character("4")], app)
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("fc1"))
        #expect(screen.contains("now    top-1"))
        #expect(screen.contains("Histogram"))
        backend.size = Size(width: 60, height: 20)
        app.handle(.resize(Size(width: 60, height: 20)))
        app.render()
        #expect(backend.screen.lines.joined().contains("terminal too small: have 60×20, need 80×24"))
        backend.size = Size(width: 120, height: 40)
        app.handle(.resize(Size(width: 120, height: 40)))
        app.render()
        #expect(backend.screen.lines[1].hasPrefix("┌─ Layers "))
    }

    @Test func mouseClickSelectsARow() throws {
        let (app, _) = try Self.app()
        // Row 3 is the header of the table inside its frame; fc3 is two rows further.
        app.handle(.mouse(MouseEvent(kind: .press, column: 10, row: 5)))
        #expect(app.state.selectedIndex == 2)
        app.handle(.mouse(MouseEvent(kind: .scrollUp, column: 10, row: 5)))
        #expect(app.state.selectedIndex == 1)
    }

    @Test func asciiTerminalsGetNoUnicode() throws {
        let (app, backend) = try Self.app()
        backend.capabilities = TerminalCapabilities(hasColor: false, isUnicode: false)
        Self.press([.character("4"), .character("?")], app)
        let text = backend.screen.lines.joined()
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII on an ASCII terminal")
        #expect(text.contains("Up/k"))
    }

    @Test func saveLoadAndExportThroughTheDialogs() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try Self.app(folder: folder)
        Self.press([.character("4"), .character("w")] + "int4".map { .character($0) } + [.enter], app)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("int4.json").path))
        #expect(app.state.sessionName == "int4" && !app.state.hasUnsavedChanges)
        #expect(backend.screen.lines[39].contains("int4"))
        let saved = try SessionStore(folder: folder).load(named: "int4")
        #expect(saved.plan.settings(for: "fc1").bitWidth == 4)
        #expect(saved.results?.top1 == app.state.evaluation.exact?.top1)

        Self.press([.character("f"), .character("o")], app)
        #expect(backend.screen.lines.joined().contains("Load session preset"))
        Self.press([.enter], app)
        #expect(app.state.plan.settings(for: "fc1").bitWidth == 4)

        let exportPath = folder.appendingPathComponent("config.json").path
        Self.press(
            [.character("e"), .enter] + Array(repeating: .backspace, count: 40) + exportPath.map { .character($0) } + [
                .enter
            ], app)
        #expect(FileManager.default.fileExists(atPath: exportPath))
        let exported = try QuantPlan.load(contentsOf: URL(fileURLWithPath: exportPath))
        #expect(exported.settings(for: "fc1").bitWidth == 4)
        // Exporting again asks before overwriting.
        Self.press(
            [.character("e"), .enter] + Array(repeating: .backspace, count: 40) + exportPath.map { .character($0) } + [
                .enter
            ], app)
        #expect(app.state.overlay == .confirm(.overwriteExport(.config, path: exportPath)))
        Self.press([.character("n")], app)
        #expect(app.state.overlay == nil)
    }

    @Test(arguments: [(1, "model.onnx"), (2, "firmware"), (3, "report.md")])
    func everyExportFormatFromTheDialog(formatIndex: Int, fileName: String) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, backend) = try Self.app(folder: folder)
        let path = folder.appendingPathComponent(fileName).path
        Self.press(
            [.character("8"), .character("e")] + Array(repeating: .down, count: formatIndex) + [.enter]
                + Array(repeating: .backspace, count: 40) + path.map { .character($0) } + [.enter], app)
        #expect(app.state.message?.isError == false, "\(app.state.message?.text ?? "")")
        #expect(backend.screen.lines[39].contains("exported"))
        switch formatIndex {
        case 1:
            let graph = try ONNXModel.load(contentsOf: URL(fileURLWithPath: path))
            #expect(graph.nodes.contains { if case .dequantizeLinear = $0.op { true } else { false } })
        case 2:
            #expect(FileManager.default.fileExists(atPath: path + ".h"))
            let source = try String(contentsOfFile: path + ".c", encoding: .utf8)
            #expect(source.contains("_predict("))
        default:
            let report = try String(contentsOfFile: path, encoding: .utf8)
            #expect(report.contains("| `fc1` | Gemm | 256×784 | 8 | symmetric | channel |"))
        }
    }

    @Test func autosaveIsOfferedOnTheNextStart() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, _) = try Self.app(folder: folder)
        Self.press([.character("3"), .down, .character("5")], first)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(".autosave.json").path))
        // The first dashboard "dies" here without saving; the next one offers the autosave.
        let (second, backend) = try Self.app(folder: folder)
        #expect(second.state.overlay == .confirm(.restoreAutosave))
        #expect(backend.screen.lines.joined().contains("Restore it?"))
        Self.press([.character("y")], second)
        #expect(second.state.plan.settings(for: "fc1").bitWidth == 3)
        #expect(second.state.plan.settings(for: "fc2").bitWidth == 5)
        #expect(second.state.hasUnsavedChanges)
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The background sensitivity analysis in the dashboard (issue 14): on the demo MLP with 250
/// held-out images, through a recording terminal, checked against evaluations run separately.
@Suite struct SensitivityDashboardTests {
    static let sampleCount = 250

    static func workbench() throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        return try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet().evenlySpaced(sampleCount),
            calibration: try DemoData.trainingSet().evenlySpaced(64))
    }

    static func app(size: Size = Size(width: 120, height: 40)) throws -> (DashboardApp, RecordingBackend) {
        let workbench = try workbench()
        let sensitivity = Sensitivity(workbench: try Self.workbench(), modelSHA256: "model", dataSHA256: "data")
        let state = AppState(layers: workbench.layers, modelName: "demo-mlp", dataName: "demo")
        let backend = RecordingBackend(size: size)
        let app = DashboardApp(
            workbench: workbench, backend: backend, state: state, persistence: nil, sensitivity: sensitivity)
        app.start()
        app.settleSensitivity()
        app.render()
        return (app, backend)
    }

    static func press(_ keys: [Key], _ app: DashboardApp) {
        for key in keys { app.handle(.key(key)) }
        app.settleSensitivity()
        app.render()
    }

    /// Top-1 correct count of `plan` evaluated on a fresh workbench.
    static func correctCount(_ plan: QuantPlan) throws -> Int {
        let workbench = try workbench()
        return try workbench.evaluate(try workbench.apply(plan)).correctCount
    }

    @Test func onlyThisLayerFiguresMatchSeparateEvaluations() throws {
        let (app, backend) = try Self.app()
        let state = app.state
        let floatCorrect = try Self.correctCount(QuantPlan())
        for layer in state.layers {
            let entries = try #require(state.sensitivity.entries(for: layer.name, plan: state.plan))
            #expect(entries.map(\.option.bits) == [8, 6, 4, 3, 2])
            // fc2 at 4 bits alone, evaluated independently, gives the same count and Δ.
            let four = try #require(entries.first { $0.option.bits == 4 })
            var plan = QuantPlan()
            plan.layers[layer.name] = TuningOption(bits: 4).settings(base: .float)
            let correct = try Self.correctCount(plan)
            #expect(four.figure.correctCount == correct)
            let delta = Double(correct - floatCorrect) / Double(Self.sampleCount) * 100
            #expect(abs(four.figure.deltaPoints - delta) < 1e-9)
            // Fewer bits never store more.
            #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.layerBytes >= $1.layerBytes })
        }
        let lines = backend.screen.lines
        // Done: no progress in the table's frame; the Δ4b column shows fc2's figure.
        #expect(!lines[1].contains("sensitivity"))
        #expect(lines[2].contains("Δ4b pt") && lines[2].contains("rmse/s"))
        let fc2 = try #require(state.sensitivity.entries(for: "fc2", plan: state.plan))
        let shown = SensitivityState.compactFigure(fc2)
        #expect(lines[4].contains(" \(shown) "))
        let screen = lines.joined(separator: "\n")
        #expect(screen.contains("Sensitivity · fc1"))
        // The widths row lists the menu in order.
        let widths = try #require(lines.first { $0.contains("│ bits ") })
        let tokens = widths.split(separator: " ").map(String.init)
        #expect(tokens.contains { $0 == "bits" } && tokens.filter { Int($0) != nil } == ["8", "6", "4", "3", "2"])
        #expect(screen.contains("Δ pt"))
    }

    @Test func aChangeKeepsOnlyThisLayerResultsAndMeasuresThePlan() throws {
        let (app, backend) = try Self.app()
        let before = app.state.sensitivity.onlyThis
        Self.press([.character("4")], app)  // fc1 at 4 bits
        let state = app.state
        #expect(state.plan.settings(for: "fc1").bitWidth == 4)
        // The scheme is unchanged, so every only-this-layer row still holds.
        #expect(state.sensitivity.onlyThis == before)
        #expect(state.layers.allSatisfy { state.sensitivity.entries(for: $0.name, plan: state.plan) != nil })
        #expect(state.sensitivity.generation == state.evaluation.generation)
        // All but fc1 is the float model; all but fc2 is the plan itself (fc2 is float).
        let withoutFC1 = try #require(state.sensitivity.allButThis["fc1"])
        #expect(withoutFC1.figure.correctCount == (try Self.correctCount(QuantPlan())))
        let withoutFC2 = try #require(state.sensitivity.allButThis["fc2"])
        #expect(withoutFC2.versusPlan.gained == 0 && withoutFC2.versusPlan.lost == 0)
        #expect(withoutFC2.figure.correctCount == (try Self.correctCount(state.plan)))
        // fc1's RMSE/scale at 4 bits, measured directly, is in the state and the table.
        let report = try Self.workbench().layerReport(for: "fc1", settings: state.plan.settings(for: "fc1"))
        let health = try #require(LayerHealth.rmseOverScale(report))
        #expect(state.sensitivity.health["fc1"] == health)
        #expect(backend.screen.lines[3].contains(String(format: "%.2f", health)))
        #expect(backend.screen.lines[4].contains("—"))  // fc2 is float: no RMSE/scale
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("[4]"))  // the planned width in the pane
        #expect(screen.contains("this one float, rest as planned:"))
    }

    @Test func diagnosisSplitsWeightsFromActivations() throws {
        let (app, backend) = try Self.app()
        Self.press([.character("2"), .character("a")], app)  // fc1: 2-bit weights, 8-bit activations
        let state = app.state
        let figures = try #require(state.sensitivity.plan)
        let weights = try #require(figures.weightsOnly)
        let activations = try #require(figures.activationsOnly)
        var weightsPlan = state.plan
        weightsPlan.layers["fc1"]?.activationBits = nil
        #expect(weights.correctCount == (try Self.correctCount(weightsPlan)))
        let line = try #require(state.sensitivity.diagnosis(generation: state.evaluation.generation, plan: state.plan))
        #expect(line.contains(SensitivityState.points(weights.deltaPoints) + " weights only"))
        #expect(line.contains(SensitivityState.points(activations.deltaPoints) + " activations only"))
        #expect(backend.screen.lines.joined(separator: "\n").contains(String(line.prefix(30))))
    }

    @Test func staleResultsAreDroppedAndOtherSchemesHideOnlyThisRows() throws {
        var state = SensitivityState()
        state.isEnabled = true
        state.menu = TuningMenu.standard.options
        let json = """
            {"option": {"bits": 4}, "settings": "4-bit", "layerBytes": 10, "figure": {"top1": 0.5,
             "correctCount": 1, "agreement": 1, "bytes": 10, "versusFloat": {"count": 2, "gained": 0, "lost": 1},
             "deltaPoints": -50, "interval95Points": [-90, 10]}}
            """
        let entry = try JSONDecoder().decode(SensitivityTable.Entry.self, from: Data(json.utf8))
        let settings = state.menu.map { $0.settings(base: .float) }
        state.fold(.onlyThis(layer: "fc1", entries: [entry], settings: settings), currentGeneration: 3)
        #expect(state.entries(for: "fc1", plan: QuantPlan()) == [entry])
        var plan = QuantPlan()
        plan.layers["fc1"] = LayerSettings(bitWidth: 4, scheme: .asymmetric)
        #expect(state.entries(for: "fc1", plan: plan) == nil)  // another scheme: other settings
        let figure = entry.figure
        let paired = PairedDifference(count: 2, gained: 0, lost: 1)
        state.fold(.allButThis(generation: 2, layer: "fc1", figure: figure, versusPlan: paired), currentGeneration: 3)
        #expect(state.allButThis.isEmpty)  // an older plan's
        state.fold(.allButThis(generation: 3, layer: "fc1", figure: figure, versusPlan: paired), currentGeneration: 3)
        #expect(state.allButThis["fc1"] != nil)
        #expect(state.progress(["fc1", "fc2"], plan: QuantPlan(), generation: 3) == "sensitivity 1/2 layers")
        state.fold(.failed(generation: 4, message: "boom"), currentGeneration: 4)
        #expect(state.allButThis.isEmpty && state.generation == 4)
        #expect(state.progress(["fc1"], plan: QuantPlan(), generation: 4) == "sensitivity failed: boom")
    }

    @Test func paneFitsAt80x24() throws {
        let (app, backend) = try Self.app(size: Size(width: 80, height: 24))
        Self.press([.character("4")], app)
        let lines = backend.screen.lines
        #expect(lines.count == 24 && lines.allSatisfy { $0.count <= 80 })
        let screen = lines.joined(separator: "\n")
        #expect(screen.contains("Sensitivity · fc1"))
        #expect(screen.contains("bits") && screen.contains("Δ pt"))
        #expect(screen.contains("Histogram · fc1"))
        #expect(lines[2].contains("Δ4b pt"))
    }

    /// A dashboard with presets in `folder` and its own analysis (fresh: nothing measured yet).
    static func savingApp(
        folder: URL, session: String? = nil
    ) throws -> (DashboardApp, Sensitivity, SessionPersistence) {
        let workbench = try workbench()
        let sensitivity = Sensitivity(workbench: try Self.workbench(), modelSHA256: "model", dataSHA256: "data")
        let persistence = SessionPersistence(
            store: SessionStore(folder: folder), model: try FileReference.bundled(.mlp),
            data: try FileReference.demoHeldOut(), workbench: workbench)
        persistence.sensitivity = sensitivity
        var state = AppState(layers: workbench.layers, modelName: "demo-mlp", dataName: "demo")
        if let session { Reducer.open(&state, try persistence.load(name: session, layerNames: workbench.layerNames)) }
        let app = DashboardApp(
            workbench: workbench, backend: RecordingBackend(size: Size(width: 120, height: 40)), state: state,
            persistence: persistence, sensitivity: sensitivity)
        app.start()
        app.settle()
        app.settleSensitivity()
        app.render()
        return (app, sensitivity, persistence)
    }

    @Test func aReopenedPresetHasItsSensitivityAtOnce() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, measured, persistence) = try Self.savingApp(folder: folder)
        Self.press([.character("4")], first)
        first.settle()
        first.settleSensitivity()
        #expect(measured.evaluationsRun > 0)
        _ = try persistence.save(name: "tuned", overwrite: .never, state: first.state)
        let file = try String(contentsOf: folder.appendingPathComponent("tuned.json"), encoding: .utf8)
        #expect(file.contains("\"sensitivity\""))

        let (reopened, restored, _) = try Self.savingApp(folder: folder, session: "tuned")
        #expect(restored.evaluationsRun == 0)
        #expect(restored.cachedCount == measured.cachedCount)
        let before = first.state.sensitivity
        let after = reopened.state.sensitivity
        #expect(after.onlyThis == before.onlyThis && !after.onlyThis.isEmpty)
        #expect(after.allButThis == before.allButThis && after.allButThis.count == first.state.layers.count)
        #expect(after.plan == before.plan)
        #expect(reopened.state.plan == first.state.plan)
    }
}

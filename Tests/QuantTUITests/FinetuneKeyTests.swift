import Foundation
@testable import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Issue 17.2 in the dashboard: `T` fine-tunes the current plan in the background (trained through
/// its quantizers, the float model as teacher, on training data, never the held-out set), shows
/// its progress, stops on a second `T` keeping the best epoch, and writes the model and a preset
/// that opens it.
@Suite struct FinetuneKeyTests {
    static func progress(step: Int, of total: Int, epoch: Int) -> FineTuner.Progress {
        FineTuner.Progress(
            step: step, totalSteps: total, epoch: epoch, epochCount: 8, loss: 0.4123, elapsedSeconds: 3,
            secondsLeft: 65)
    }

    @Test func tOnAFloatPlanSaysThereIsNothingToFineTune() {
        var state = ReducerTests.state(layers: 2)
        let effects = ReducerTests.press([.character("T")], &state)
        #expect(effects.isEmpty)
        #expect(!state.finetune.isRunning)
        #expect(state.message?.text.contains("nothing to fine-tune") == true)
    }

    @Test func tStartsThenStopsAndTheAccuracyPaneFollows() throws {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("2")], &state)
        var effects = ReducerTests.press([.character("T")], &state)
        #expect(effects == [.startFinetune(state.plan)])
        #expect(state.finetune.isRunning)
        #expect(
            FinetuneText.accuracyLines(state, isCompact: false).map(\.0) == ["fine-tune reading the training data…"])
        _ = Reducer.reduce(&state, .finetune(.progress(Self.progress(step: 120, of: 500, epoch: 2))))
        _ = Reducer.reduce(&state, .finetune(.epoch(number: 1, top1: 0.9731)))
        #expect(
            FinetuneText.accuracyLines(state, isCompact: false).map(\.0) == [
                "fine-tune epoch 2/8 step 120/500 loss 0.412", "          1 min 05 s left · epoch 1 97.31 % · T stops",
            ])
        effects = ReducerTests.press([.character("T")], &state)
        #expect(effects == [.stopFinetune])
        #expect(state.finetune.isStopping)
        #expect(ReducerTests.press([.character("T")], &state).isEmpty)  // already stopping
        let summary = FinetuneRunner.Summary(
            plan: state.plan, model: URL(fileURLWithPath: "/tmp/Sessions/demo-mlp-finetuned-1.onnx"), digest: "ab",
            top1Before: 0.9312, top1After: 0.9731, keptEpoch: 1, epochs: 1, wasStopped: true, seconds: 12)
        _ = Reducer.reduce(&state, .finetuneFinished(summary, preset: "demo-mlp-finetuned-1", problem: nil))
        #expect(!state.finetune.isRunning && !state.finetune.isStopping)
        let message = try #require(state.message?.text)
        #expect(message.contains("93.12 % → 97.31 %") && message.contains("quantdash --session demo-mlp-finetuned-1"))
        #expect(
            FinetuneText.accuracyLines(state, isCompact: false).map(\.0) == [
                "fine-tune 93.12 % → 97.31 % (epoch 1/1)", "          demo-mlp-finetuned-1.onnx",
            ])
    }

    /// Quitting while fine-tuning asks first (it would be lost); y stops the run at once, writing
    /// nothing (not only when the dashboard ends: a run finishing while the unsaved-plan question
    /// is open wrote its model), and goes on to that question.
    @Test func quittingWhileFineTuningAsksFirst() {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("2"), .character("T"), .character("q")], &state)
        #expect(state.overlay == .confirm(.quitWhileFinetuning))
        #expect(!state.shouldQuit)
        ReducerTests.press([.escape], &state)
        #expect(state.overlay == nil && state.finetune.isRunning && !state.shouldQuit)
        var effects = ReducerTests.press([.character("q"), .character("y")], &state)
        #expect(effects == [.discardFinetune])
        #expect(state.finetune.isStopping)
        #expect(state.overlay == .confirm(.quitWithUnsavedChanges))  // the 2-bit plan is not saved
        // Staying: the run ends without writing, and the dashboard says so.
        _ = Reducer.reduce(&state, .finetune(.discarded))
        #expect(!state.finetune.isRunning && !state.finetune.isStopping)
        #expect(state.message?.text == "fine-tuning stopped: nothing written")
        effects = ReducerTests.press([.character("n")], &state)
        #expect(state.shouldQuit && effects == [.discardOwnAutosave, .quit])
        let lines = OverlayView.text(for: .quitWhileFinetuning).1
        #expect(lines.joined(separator: " ").contains("writes no model or preset"))
    }

    @Test func aRunStoppedBeforeItsFirstEpochWritesNothing() {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("2"), .character("T")], &state)
        let summary = FinetuneRunner.Summary(
            plan: state.plan, model: URL(fileURLWithPath: "/tmp/x.onnx"), digest: "", top1Before: 0.9,
            top1After: 0.9, keptEpoch: 0, epochs: 0, wasStopped: true, seconds: 1)
        _ = Reducer.reduce(&state, .finetuneFinished(summary, preset: nil, problem: nil))
        #expect(state.message?.text.contains("nothing written") == true)
        #expect(state.finetune.summary == nil)
    }

    /// The real thing on the demo MLP: 2-bit weights, a short fine-tune on 512 training digits.
    @Test func theDashboardFineTunesWritesTheModelAndAPresetThatReproducesIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = FineTuner.Options()
        options.epochs = 1
        let training = FinetuneTraining(name: "512 training digits") {
            try DemoData.trainingSet().evenlySpaced(512)
        }
        let (app, backend) = try DashboardAppTests.app(folder: folder, finetune: (training, options))
        DashboardAppTests.press([.character("2")], app)
        DashboardAppTests.press([.character("T")], app)
        app.settleFinetune()
        app.render()
        let summary = try #require(app.state.finetune.summary)
        #expect(summary.keptEpoch == 1)
        #expect(FileManager.default.fileExists(atPath: summary.model.path))
        #expect(try FileDigest.sha256(of: summary.model) == summary.digest)
        let preset = try SessionStore(folder: folder).load(named: "demo-mlp-finetuned-1")
        #expect(preset.model.sha256 == summary.digest)
        #expect(preset.plan == summary.plan)
        #expect(backend.screen.lines.contains { $0.contains("fine-tune") && $0.contains("→") })
        // The figure is the one `eval --model <written file> --plan <plan>` gives.
        let written = try ONNXModel.load(contentsOf: summary.model)
        let report = try HeldOutEvaluation(
            heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(64)
        ).report(for: written, plan: summary.plan)
        #expect(report.top1 == summary.top1After)
    }
}

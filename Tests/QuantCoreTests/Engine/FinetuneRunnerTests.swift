import Foundation
import Testing

@testable import QuantCore

/// The dashboard's background fine-tuning (`FinetuneRunner`): stopped for quitting, it writes
/// nothing and says so (`discarded`), however far it got.
@Suite struct FinetuneRunnerTests {
    @Test func stoppingWithoutKeepingWritesNothingAndSaysSo() throws {
        let workbench = try Workbench(
            graph: try ONNXModel.load(contentsOf: BundledModel.mlp.url), heldOut: try DemoData.heldOutSet(),
            calibration: nil)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-runner-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("tuned.onnx")
        var plan = QuantPlan()
        plan.defaults = LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)
        var options = FineTuner.Options()
        options.epochs = 50  // far more than the test waits for
        let runner = FinetuneRunner(workbench: workbench)
        runner.start(
            plan, training: { try DemoData.trainingSet().evenlySpaced(2000) }, trainingName: "train", output: output,
            options: options)
        // Stop after the first finished epoch (a model that would otherwise be written).
        var events: [FinetuneRunner.Event] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !events.contains(where: { if case .epoch = $0 { true } else { false } }) {
            events += runner.drain()
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(events.contains { if case .epoch = $0 { true } else { false } }, "an epoch ended")
        runner.stop(keeping: false)
        runner.waitUntilIdle()
        events += runner.drain()
        #expect(events.last == .discarded)
        #expect(!events.contains { if case .finished = $0 { true } else { false } })
        #expect(!FileManager.default.fileExists(atPath: output.path), "nothing written")
        #expect(!runner.isRunning)
    }
}

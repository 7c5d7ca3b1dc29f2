import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Latest-wins evaluation on the demo MLP: estimates then exact results, stale plans dropped.
@Suite struct EvaluationSchedulerTests {
    static func workbench() throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        return try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
    }

    @Test func floatThenEstimateThenExact() throws {
        let workbench = try Self.workbench()
        let scheduler = EvaluationScheduler(workbench: workbench, estimateSize: 100)
        scheduler.evaluateFloat()
        let model = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 4)))
        scheduler.submit(model, generation: 1)
        scheduler.waitUntilIdle()
        let actions = scheduler.drain()
        guard case .floatEvaluated(let float) = actions.first else {
            Issue.record("first result is not the float baseline: \(actions.first.map { "\($0)" } ?? "none")")
            return
        }
        #expect(float.correctCount == 958)
        let finished = actions.compactMap { action -> EvalReport? in
            if case .evaluationFinished(1, let report) = action { return report }
            return nil
        }
        #expect(finished.count == 2)
        #expect(finished.first?.isExact == false)
        #expect(finished.first?.count == 100)
        #expect(finished.last?.isExact == true)
        #expect(finished.last?.count == 1000)
        let progress = actions.compactMap { action -> Double? in
            if case .evaluationProgress(1, let fraction) = action { return fraction }
            return nil
        }
        #expect(progress.last == 1)
        #expect(progress == progress.sorted())
    }

    @Test func aNewerPlanSupersedesOlderOnes() throws {
        let workbench = try Self.workbench()
        let scheduler = EvaluationScheduler(workbench: workbench, estimateSize: 0)
        let plans = (2...8).map { QuantPlan(defaults: LayerSettings(bitWidth: $0)) }
        for (generation, plan) in plans.enumerated() {
            scheduler.submit(try workbench.apply(plan), generation: generation + 1)
        }
        scheduler.waitUntilIdle()
        let exactGenerations = scheduler.drain().compactMap { action -> Int? in
            if case .evaluationFinished(let generation, let report) = action, report.isExact { return generation }
            return nil
        }
        // The last plan is always evaluated; at most the first (already running) one besides it.
        #expect(exactGenerations.last == plans.count)
        #expect(exactGenerations.count <= 2)
    }
}

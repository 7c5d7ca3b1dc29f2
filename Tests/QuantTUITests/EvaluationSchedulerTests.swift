import Foundation
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

    /// Estimates come first only while exact evaluations are slow; the clock is injected.
    @Test(arguments: [(secondsPerExact: 0.01, estimatesSecondPlan: false), (0.2, true)])
    func estimateOnlyWhenExactIsSlow(secondsPerExact: Double, estimatesSecondPlan: Bool) throws {
        let workbench = try Self.workbench()
        let clock = FakeClock()
        // Each exact evaluation reads the clock twice (start, end): advance on every read.
        let scheduler = EvaluationScheduler(
            workbench: workbench, estimateSize: 100, estimateThreshold: 0.05,
            now: { clock.advance(by: secondsPerExact / 2) })
        for (generation, bits) in [(1, 4), (2, 6)] {
            scheduler.submit(
                try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: bits))), generation: generation)
            scheduler.waitUntilIdle()
        }
        let estimates = scheduler.drain().compactMap { action -> Int? in
            if case .evaluationFinished(let generation, let report) = action, !report.isExact { return generation }
            return nil
        }
        #expect(estimates == (estimatesSecondPlan ? [1, 2] : [1]))  // nothing timed yet: plan 1 estimates
    }
}

/// A clock that moves only when read.
private final class FakeClock: @unchecked Sendable {
    private var seconds = 0.0
    private let lock = NSLock()

    /// Advances by `step` and returns the new time.
    func advance(by step: Double) -> Double {
        lock.withLock {
            seconds += step
            return seconds
        }
    }
}

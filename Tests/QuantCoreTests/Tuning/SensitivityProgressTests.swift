import Foundation
import Testing

@testable import QuantCore

/// Sensitivity progress estimates time left by work (whole float passes), not by counting
/// evaluations: an early layer's evaluations re-run most of the graph, a late one's little.
@Suite struct SensitivityProgressTests {
    @Test func timeLeftFollowsWorkWhenKnown() {
        // 10 s for 1 of 4 passes of work: 30 s left, although 5 of 6 evaluations are done.
        let weighed = SensitivityProgress(
            done: 5, total: 6, current: "fc2 at 4-bit", elapsedSeconds: 10, workDone: 1, workTotal: 4)
        #expect(weighed.summary == "sensitivity 5/6 · fc2 at 4-bit · 30 s left")
        let counted = SensitivityProgress(done: 5, total: 6, current: "fc2 at 4-bit", elapsedSeconds: 10)
        #expect(counted.summary == "sensitivity 5/6 · fc2 at 4-bit · 2 s left")
    }

    @Test func rerunSharesFallFromTheFirstLayerToTheLast() throws {
        let workbench = try SensitivityTests.workbench(samples: 10)
        let shares = try workbench.rerunShares()
        let ordered = workbench.layerNames.map { shares[$0] ?? -1 }
        #expect(ordered.count == 4 && ordered.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(ordered[0] > 0.99)  // conv1 comes first: a change there re-runs nearly everything
        #expect(zip(ordered, ordered.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test func anAnalysisReportsWorkThatAddsUpToItsTotal() throws {
        let analysis = SensitivityTests.sensitivity(try SensitivityTests.workbench(samples: 50))
        var steps: [SensitivityProgress] = []
        _ = try analysis.run(
            menu: SensitivityTests.menu, plan: QuantPlan(defaults: LayerSettings(bitWidth: 4)),
            progress: { steps.append($0) })
        let last = try #require(steps.last)
        #expect(last.workTotal > 1 && abs(last.workDone - last.workTotal) < 1e-9)
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0.workDone <= $1.workDone + 1e-12 })
    }
}

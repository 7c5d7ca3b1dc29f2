import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The layer-report cache stays within its weight budget however many settings are tried (the
/// dashboard under abuse grew to 400 MiB in 10 000 keys before it was bounded), keeps what was
/// used recently, and the workbench still answers every plan correctly after evictions.
@Suite struct LayerReportCacheTests {
    @Test func manyPruningStepsStayWithinTheBudget() throws {
        let workbench = try WorkbenchTests.workbench(.mlp)
        let fc1 = try #require(workbench.layer(named: "fc1"))
        let fc1Weights = try #require(workbench.graph.initializers[fc1.weightName]).storage.count  // 256×784
        #expect(workbench.layerCache.weightBudget == 4_000_000)
        for step in 0..<60 {
            let settings = LayerSettings(bitWidth: 4, pruning: .threshold(Float(step) * 0.001))
            _ = try workbench.layerReport(for: "fc1", settings: settings)
            #expect(workbench.layerCache.cachedWeightCount <= workbench.layerCache.weightBudget)
        }
        #expect(workbench.layerCache.count == 4_000_000 / fc1Weights)
    }

    @Test func theLeastRecentlyUsedReportGoesFirst() throws {
        let workbench = try WorkbenchTests.workbench(.mlp)
        var cache = LayerReportCache(weightBudget: 3 * 200_704)
        let reports = try (0..<4).map { step in
            try workbench.layerReport(for: "fc1", settings: LayerSettings(bitWidth: 2 + step))
        }
        let keys = reports.map { LayerReportCache.Key(layer: "fc1", settings: $0.settings) }
        cache.insert(reports[0], for: keys[0])
        cache.insert(reports[1], for: keys[1])
        cache.insert(reports[2], for: keys[2])
        #expect(cache.report(for: keys[0]) != nil)  // now 1 is the least recently used
        cache.insert(reports[3], for: keys[3])
        #expect(cache.count == 3)
        #expect(cache.report(for: keys[1]) == nil)
        #expect(cache.report(for: keys[0]) != nil && cache.report(for: keys[2]) != nil)
        #expect(cache.report(for: keys[3]) != nil)
        cache.removeAll()
        #expect(cache.count == 0 && cache.cachedWeightCount == 0)
    }

    @Test func aReportLargerThanTheBudgetIsStillKeptAlone() throws {
        let workbench = try WorkbenchTests.workbench(.mlp)
        var cache = LayerReportCache(weightBudget: 10)
        let report = try workbench.layerReport(for: "fc1", settings: LayerSettings(bitWidth: 4))
        let key = LayerReportCache.Key(layer: "fc1", settings: report.settings)
        cache.insert(report, for: key)
        #expect(cache.count == 1)
        #expect(cache.report(for: key) != nil)
    }

    @Test func plansAreAnsweredAlikeAfterEvictions() throws {
        let workbench = try WorkbenchTests.workbench(.mlp)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 3))
        let before = try workbench.apply(plan)
        for step in 1...40 {
            _ = try workbench.apply(
                QuantPlan(defaults: LayerSettings(bitWidth: 4, pruning: .threshold(Float(step) * 0.002))))
        }
        let after = try workbench.apply(plan)
        #expect(after.layerReports.map(\.metrics) == before.layerReports.map(\.metrics))
        #expect(after.size == before.size)
    }
}

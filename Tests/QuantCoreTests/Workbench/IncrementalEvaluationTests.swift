import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Incremental evaluation (activation cache at layer boundaries, batches over threads) gives
/// exactly what a full run from the data gives, whatever the order of changes.
@Suite struct IncrementalEvaluationTests {
    /// The demo CNN on 120 held-out digits in batches of 25 (5 batches, the last one short).
    static func workbench(threads: Int, cacheBytes: Int = Workbench.defaultActivationCacheBytes) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.cnn.url)
        let heldOut = try DemoData.heldOutSet().evenlySpaced(120)
        let training = try DemoData.trainingSet().evenlySpaced(64)
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: training)
        workbench.batchSize = 25
        workbench.threadCount = threads
        workbench.activationCacheBytes = cacheBytes
        return workbench
    }

    /// A walk over the layers that changes early, late, and back again, with activation bits.
    static func plans(layers: [String]) -> [QuantPlan] {
        func plan(_ entries: [(Int, LayerSettings)]) -> QuantPlan {
            QuantPlan(layers: Dictionary(uniqueKeysWithValues: entries.map { (layers[$0.0], $0.1) }))
        }
        let four = LayerSettings(bitWidth: 4), two = LayerSettings(bitWidth: 2, scheme: .asymmetric)
        let withActivations = LayerSettings(bitWidth: 8, activationBits: 4)
        return [
            plan([(3, four)]),
            plan([(2, four), (3, four)]),
            plan([(0, two), (2, four), (3, four)]),
            plan([(0, two), (1, withActivations), (2, four), (3, four)]),
            plan([(0, two), (1, withActivations), (2, two), (3, four)]),
            plan([(1, withActivations), (2, two), (3, four)]),
            plan([(1, withActivations), (2, two)]),
            QuantPlan(),
            plan([(2, two)]),
        ]
    }

    /// Every metric and prediction, bit for bit.
    static func expectIdentical(_ actual: EvalReport, _ expected: EvalReport, _ label: String) {
        #expect(actual.predictions == expected.predictions, "\(label)")
        #expect(actual.meanNLL == expected.meanNLL, "\(label)")
        #expect(actual.correctCount == expected.correctCount, "\(label)")
        #expect(actual.top5CorrectCount == expected.top5CorrectCount, "\(label)")
        #expect(actual.agreement == expected.agreement || actual.agreement == nil, "\(label)")
    }

    @Test(arguments: [1, 2])
    func cachedRunsEqualFreshRuns(threads: Int) throws {
        let incremental = try Self.workbench(threads: threads)
        let fresh = try Self.workbench(threads: 1, cacheBytes: 0)
        for (step, plan) in Self.plans(layers: incremental.layerNames).enumerated() {
            let actual = try incremental.evaluate(incremental.apply(plan))
            let expected = try fresh.evaluate(fresh.apply(plan))
            Self.expectIdentical(actual, expected, "step \(step), \(threads) threads")
        }
        #expect(incremental.cachedActivationBytes > 0)
        #expect(fresh.cachedActivationBytes == 0)
        let last = try incremental.apply(Self.plans(layers: incremental.layerNames).last ?? QuantPlan())
        Self.expectIdentical(
            try incremental.evaluateFromScratch(last), try incremental.evaluate(last), "from scratch")
        incremental.removeCachedActivations()
        #expect(incremental.cachedActivationBytes == 0)
    }

    /// A cap smaller than one boundary's activations keeps nothing and changes no result.
    @Test func tinyCapKeepsNothingAndStaysExact() throws {
        let capped = try Self.workbench(threads: 2, cacheBytes: 4096)
        let fresh = try Self.workbench(threads: 1, cacheBytes: 0)
        for plan in Self.plans(layers: capped.layerNames).prefix(4) {
            Self.expectIdentical(
                try capped.evaluate(capped.apply(plan)), try fresh.evaluate(fresh.apply(plan)), "capped")
        }
        #expect(capped.cachedActivationBytes == 0)
    }

    /// The cache holds one entry per layer boundary after the first, within its cap, and a
    /// cancelled run leaves only valid entries behind (those before its start; the ones it
    /// would have replaced are dropped before it runs, so old and new never both sit in memory).
    @Test func cacheContentsAndCancellation() throws {
        let workbench = try Self.workbench(threads: 2)
        _ = try workbench.floatReport()
        let boundaries = workbench.layerBoundaries
        #expect(boundaries.count == workbench.layers.count - 1)  // conv1 is node 0
        let entries = workbench.lock.withLock { workbench.activationCache.entries }
        #expect(Set(entries.keys) == Set(boundaries))
        #expect(workbench.cachedActivationBytes <= Workbench.defaultActivationCacheBytes)
        let before = workbench.cachedActivationBytes
        var plan = QuantPlan()
        plan.layers[workbench.layerNames[0]] = LayerSettings(bitWidth: 3)
        #expect(throws: CancellationError.self) {
            try workbench.evaluate(workbench.apply(plan), isCancelled: { true })
        }
        let prefixes = workbench.lock.withLock { workbench.activationCache.entries.mapValues(\.prefix) }
        #expect(prefixes.values.allSatisfy { $0.allSatisfy(\.isFloat) })
        #expect(workbench.cachedActivationBytes <= before)
        // The float model still evaluates exactly, from whatever is left.
        let again = try workbench.evaluate(workbench.apply(QuantPlan()))
        #expect(again.predictions == (try workbench.floatReport()).predictions)
    }

    /// Cancellation is seen between graph nodes, not only between batches: a check that turns
    /// true on its third call (inside the first batch) stops the run.
    @Test func cancelsWithinABatch() throws {
        let workbench = try Self.workbench(threads: 1)
        workbench.batchSize = 120  // one batch: only the per-node checks can stop it early
        var calls = 0
        #expect(throws: CancellationError.self) {
            try workbench.evaluateFromScratch(nil)  // not cancellable: runs to the end
            try workbench.evaluate(
                workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 4))),
                isCancelled: {
                    calls += 1
                    return calls >= 3
                })
        }
        #expect(calls == 3)
    }

    @Test func recommendedBatchSizeFollowsTheInput() {
        #expect(Workbench.recommendedBatchSize(sampleElementCount: 784, limit: 100) == 100)
        #expect(Workbench.recommendedBatchSize(sampleElementCount: 3 * 224 * 224, limit: 100) == 13)
        #expect(Workbench.recommendedBatchSize(sampleElementCount: 50_000_000, limit: 100) == 1)
    }

    /// LRU eviction under a cap that fits some boundaries but not all.
    @Test func evictsLeastRecentlyUsed() {
        var cache = ActivationCache(capacityBytes: 3 * 100 * 4)
        let tensor = Tensor(shape: [100], repeating: 1)
        for boundary in 1...3 {
            cache.store(boundary: boundary, prefix: [], batches: [["v\(boundary)": tensor]], batchSize: 10)
        }
        _ = cache.bestStart(among: [1], batchSize: 10) { _ in [] }  // touch 1
        cache.store(boundary: 4, prefix: [], batches: [["v4": tensor]], batchSize: 10)
        #expect(Set(cache.entries.keys) == [1, 3, 4])
        #expect(cache.byteCount == 1200)
        #expect(cache.bestStart(among: [1, 2, 3, 4], batchSize: 20) { _ in [] } == nil)  // other batch size
        cache.store(boundary: 1, prefix: [], batches: [["v1": tensor]], batchSize: 20)
        #expect(Set(cache.entries.keys) == [1])
    }
}

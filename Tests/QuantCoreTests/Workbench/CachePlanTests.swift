import Testing

@testable import QuantCore

/// The cache keeps the boundaries that save the most recomputation per byte, within its budget.
@Suite struct CachePlanTests {
    /// Four boundaries; work before each grows, the first one is wide (expensive to keep).
    static let candidates = [10, 20, 30, 40]
    static let bytes = [10: 1000, 20: 100, 30: 100, 40: 10]
    static let work = [10: 5.0, 20: 50.0, 30: 80.0, 40: 99.0]
    static let layers = [0, 10, 20, 30, 40]

    @Test func everythingFitsInAGenerousBudget() {
        let plan = CachePlan.choose(
            candidates: Self.candidates, layerNodes: Self.layers, bytesPerSample: Self.bytes,
            workBefore: Self.work, sampleCount: 10, budget: 1 << 30)
        #expect(plan.boundaries == [10, 20, 30, 40])
        #expect(plan.byteCount == 12_100)
    }

    @Test func aTightBudgetKeepsTheDeepCheapBoundaries() {
        let plan = CachePlan.choose(
            candidates: Self.candidates, layerNodes: Self.layers, bytesPerSample: Self.bytes,
            workBefore: Self.work, sampleCount: 10, budget: 2_100)
        #expect(plan.boundaries == [20, 30, 40])
        #expect(plan.byteCount <= 2_100)
        let tiny = CachePlan.choose(
            candidates: Self.candidates, layerNodes: Self.layers, bytesPerSample: Self.bytes,
            workBefore: Self.work, sampleCount: 10, budget: 100)
        #expect(tiny.boundaries == [40])
        let none = CachePlan.choose(
            candidates: Self.candidates, layerNodes: Self.layers, bytesPerSample: Self.bytes,
            workBefore: Self.work, sampleCount: 10, budget: 99)
        #expect(none.boundaries.isEmpty && none.byteCount == 0)
    }

    /// The greedy choice is never worse than any single boundary that fits.
    @Test func neverWorseThanTheBestSingleBoundary() {
        func saved(_ kept: [Int]) -> Double {
            Self.layers.reduce(0) { total, node in
                total + (kept.filter { $0 <= node }.max().map { Self.work[$0]! } ?? 0)
            }
        }
        for budget in stride(from: 0, through: 13_000, by: 500) {
            let plan = CachePlan.choose(
                candidates: Self.candidates, layerNodes: Self.layers, bytesPerSample: Self.bytes,
                workBefore: Self.work, sampleCount: 10, budget: budget)
            #expect(plan.byteCount <= budget)
            for single in Self.candidates where Self.bytes[single]! * 10 <= budget {
                #expect(saved(plan.boundaries) >= saved([single]))
            }
        }
    }
}

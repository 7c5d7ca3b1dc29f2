import Foundation
import Testing

@testable import QuantCore

/// The cache keeps the boundaries that save the most recomputation per byte, within its budget,
/// recomputation counted relatively (the geometric mean of the work a change re-runs).
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

    /// A change to the last layer re-runs from the boundary just before it rather than from its
    /// block's start, even though keeping that boundary saves little absolute work: the log
    /// objective values cutting a late change's re-run 59 → 34 (here, where minimizing the
    /// arithmetic mean keeps [20, 30, 40] instead).
    @Test func aLateChangeIsNotLeftReRunningItsBlock() {
        let candidates = [10, 20, 30, 40, 50]
        let plan = CachePlan.choose(
            candidates: candidates, layerNodes: [0] + candidates,
            bytesPerSample: [10: 100, 20: 10, 30: 50, 40: 10, 50: 100],
            workBefore: [10: 13, 20: 20, 30: 39, 40: 41, 50: 66], totalWork: 100, sampleCount: 1, budget: 150)
        #expect(plan.boundaries == [20, 40, 50])
        #expect(plan.byteCount == 120)
    }

    /// The greedy choice is never worse than any single boundary that fits.
    @Test func neverWorseThanTheBestSingleBoundary() {
        // The objective: per layer, log(whole pass) − log(work re-run from its start).
        let total = 99.0 * 1.01 + 1
        func saved(_ kept: [Int]) -> Double {
            Self.layers.reduce(0) { sum, node in
                sum + (kept.filter { $0 <= node }.max().map { log(total) - log(total - Self.work[$0]!) } ?? 0)
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

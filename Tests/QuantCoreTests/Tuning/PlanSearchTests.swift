import Foundation
import Testing

@testable import QuantCore

/// The search on the demo MLP: sizes add up, the plan found meets its goal and is within 5 %
/// of the exhaustive optimum (computed here), a cancelled search keeps its best plan.
@Suite struct PlanSearchTests {
    static func search(model: BundledModel = .mlp, samples: Int = 300) throws -> PlanSearch {
        let graph = try ONNXModel.load(contentsOf: try model.url)
        let heldOut = try DemoData.heldOutSet().evenlySpaced(samples)
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: nil)
        workbench.batchSize = 100
        let sensitivity = Sensitivity(workbench: workbench, modelSHA256: "m", dataSHA256: "d")
        let table = try sensitivity.run(
            menu: TuningMenu(bits: [8, 4, 3, 2], sparsities: [0.5]).options, plan: QuantPlan())
        return try PlanSearch(sensitivity: sensitivity, table: table)
    }

    @Test func predictedSizesAreExact() throws {
        let search = try Self.search()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10 {
            let choice = search.options.map { Int.random(in: 0..<$0.count, using: &generator) }
            let model = try search.sensitivity.workbench.apply(search.plan(choice))
            #expect(search.predictedBytes(choice) == model.size.currentBytes)
        }
        #expect(search.hull().count >= 2)
        #expect(search.hull().map(search.predictedBytes) == search.hull().map(search.predictedBytes).sorted())
    }

    @Test func maxDropIsWithinFivePercentOfTheOptimum() throws {
        let search = try Self.search()
        let goal = SearchGoal.maxDrop(points: 1)
        let found = try search.run(goal)
        let best = try #require(found.best)
        #expect(search.meets(goal, best.evaluation))
        #expect(!found.wasCancelled && found.evaluations <= search.maxEvaluations)
        let optimum = try #require(try search.exhaustive(goal).best)
        #expect(search.meets(goal, optimum.evaluation))
        #expect(optimum.evaluation.bytes <= best.evaluation.bytes)
        #expect(Double(best.evaluation.bytes) <= 1.05 * Double(optimum.evaluation.bytes), "\(best.choices)")
        // The written plan is an ordinary plan: it round-trips through JSON and evaluates the same.
        let decoded = try QuantPlan.decoded(from: try best.plan.encoded(), file: "plan.json")
        #expect(try search.sensitivity.evaluate(decoded) == best.evaluation)
    }

    @Test func targetSizeFitsAndBeatsUniformPlansThatFit() throws {
        let search = try Self.search()
        let workbench = search.sensitivity.workbench
        let four = try search.sensitivity.evaluate(QuantPlan(defaults: LayerSettings(bitWidth: 4)))
        let goal = SearchGoal.targetBytes(four.bytes)
        let best = try #require(try search.run(goal).best)
        #expect(best.evaluation.bytes <= four.bytes)
        #expect(best.evaluation.correctCount >= four.correctCount)
        #expect(try workbench.apply(best.plan).size.currentBytes == best.evaluation.bytes)
        let impossible = try search.run(.targetBytes(100))
        #expect(impossible.best == nil)
        #expect(throws: TuningError.self) { _ = try search.run(.maxDrop(points: -1)) }
    }

    @Test func aCancelledSearchKeepsItsBestPlan() throws {
        let search = try Self.search()
        var seen = 0
        let result = try search.run(
            .maxDrop(points: 2), progress: { _ in seen += 1 }, isCancelled: { seen >= 3 })
        #expect(result.wasCancelled)
        #expect(result.evaluations == 3)
        if let best = result.best { #expect(search.meets(.maxDrop(points: 2), best.evaluation)) }
    }
}

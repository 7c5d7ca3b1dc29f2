import Foundation
import Testing

@testable import QuantCore

/// Sensitivity on the demo CNN: incremental results equal fresh evaluations, results are cached
/// by plan, a cancelled analysis continues where it stopped, shards merge into the full table.
@Suite struct SensitivityTests {
    static func workbench(
        samples: Int = 200, cacheBytes: Int = Workbench.defaultActivationCacheBytes
    ) throws
        -> Workbench
    {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.cnn.url)
        let heldOut = try DemoData.heldOutSet().evenlySpaced(samples)
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: nil)
        workbench.batchSize = 50
        workbench.activationCacheBytes = cacheBytes
        return workbench
    }

    static func sensitivity(_ workbench: Workbench) -> Sensitivity {
        Sensitivity(workbench: workbench, modelSHA256: "model", dataSHA256: "data")
    }

    static let menu = TuningMenu(bits: [8, 3, 2], sparsities: [0.5]).options

    @Test func incrementalResultsEqualFreshEvaluations() throws {
        let analysis = Self.sensitivity(try Self.workbench())
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 4))
        let table = try analysis.run(menu: Self.menu, plan: plan)
        let fresh = try Self.workbench(cacheBytes: 0)
        let floatCorrect = try fresh.floatReport().correctCount
        #expect(table.float.correctCount == floatCorrect)
        #expect(table.layers.map(\.name) == fresh.layerNames)
        for row in table.layers {
            #expect(row.options.map(\.option) == Self.menu)
            for entry in row.options {
                let settings = entry.option.settings(base: plan.settings(for: row.name))
                let only = QuantPlan(layers: [row.name: settings])
                let report = try fresh.evaluate(fresh.apply(only))
                #expect(entry.figure.correctCount == report.correctCount, "\(row.name) \(entry.option)")
                #expect(entry.figure.agreement == report.agreement)
                #expect(entry.figure.bytes == (try fresh.apply(only)).size.currentBytes)
                #expect(
                    entry.figure.versusFloat.gained - entry.figure.versusFloat.lost == report.correctCount
                        - floatCorrect)
            }
            var allBut = plan
            allBut.layers[row.name] = .float
            let report = try fresh.evaluate(fresh.apply(allBut))
            #expect(row.allButThis.correctCount == report.correctCount, "all but \(row.name)")
        }
        let current = try fresh.evaluate(fresh.apply(plan))
        #expect(table.current.correctCount == current.correctCount)
        // Two bits everywhere but one layer costs more than 8 bits on one layer.
        #expect(table.layers.allSatisfy { $0.options[0].figure.correctCount >= $0.options[2].figure.correctCount - 2 })
    }

    @Test func resultsAreCachedByPlanAndContinueAfterCancellation() throws {
        let analysis = Self.sensitivity(try Self.workbench())
        #expect(throws: CancellationError.self) {
            _ = try analysis.run(
                menu: Self.menu, plan: QuantPlan(),
                isCancelled: { analysis.evaluationsRun >= 5 })
        }
        #expect(analysis.evaluationsRun == 5)
        var steps: [SensitivityProgress] = []
        let table = try analysis.run(menu: Self.menu, plan: QuantPlan(), progress: { steps.append($0) })
        let layerCount = table.layers.count
        // float + every layer at every option; the float plan's "all but" figures are float's.
        #expect(analysis.evaluationsRun == 1 + layerCount * Self.menu.count)
        let finished = steps.filter { $0.running == nil }
        #expect(finished.map(\.done) == Array(1...finished.count) && finished.last?.done == finished.last?.total)
        // Between them, the evaluations that ran report their samples done (batches of 50 of 200).
        let running = steps.compactMap(\.running)
        #expect(!running.isEmpty && running.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(steps.first { $0.running != nil }.map { $0.summary.contains(" % · ") } == true)
        // A new plan re-uses every only-this-layer result: only the plan and its all-but runs are new.
        let before = analysis.evaluationsRun
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8))
        _ = try analysis.run(menu: Self.menu, plan: plan)
        #expect(analysis.evaluationsRun == before + 1 + layerCount)
        _ = try analysis.run(menu: Self.menu, plan: plan)
        #expect(analysis.evaluationsRun == before + 1 + layerCount)
    }

    @Test func theFloatBaselineReportsItsProgressBeforeTheFirstStep() throws {
        let analysis = Self.sensitivity(try Self.workbench())
        var steps: [SensitivityProgress] = []
        _ = try analysis.run(menu: Self.menu, plan: QuantPlan(), progress: { steps.append($0) })
        let beforeFirstStep = steps.prefix { $0.done == 0 }
        // 200 samples in batches of 50: four batches of the float pass, each reported as it ends.
        #expect(beforeFirstStep.map(\.current) == ["float", "float", "float", "float"])
        #expect(beforeFirstStep.compactMap(\.running) == [0.25, 0.5, 0.75, 1])
        #expect(beforeFirstStep.first?.summary.hasPrefix("sensitivity 0/") == true)
    }

    @Test func shardsMergeIntoTheFullTable() throws {
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 6))
        let full = try Self.sensitivity(try Self.workbench()).run(menu: Self.menu, plan: plan)
        var parts: [(file: String, table: SensitivityTable)] = []
        for index in [2, 1, 3] {
            let shard = SensitivityTable.Shard(index: index, count: 3)
            let part = try Self.sensitivity(try Self.workbench()).run(menu: Self.menu, plan: plan, shard: shard)
            #expect(part.layers.count < full.layers.count && !part.missingLayers.isEmpty)
            let decoded = try JSONDecoder().decode(SensitivityTable.self, from: try part.encoded())
            #expect(decoded == part)
            parts.append(("part\(index).json", decoded))
        }
        var merged = try SensitivityTable.merged(parts)
        #expect(merged.missingLayers.isEmpty && merged.shard == nil)
        merged.shard = full.shard
        #expect(merged == full)
        var other = parts[1].table
        other.dataSHA256 = "other data"
        #expect(throws: TuningError.self) { _ = try SensitivityTable.merged([parts[0], ("b.json", other)]) }
        do {
            _ = try SensitivityTable.merged([parts[0], ("b.json", other)])
        } catch {
            #expect("\(error)".hasPrefix("b.json: the data's SHA-256 differs"))
        }
    }
}

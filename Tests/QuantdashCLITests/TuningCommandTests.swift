import Foundation
import QuantTestSupport
import Testing

/// `quantdash sensitivity` and `quantdash search` end to end: JSON tables, shards and their
/// merge, a searched plan that `eval --plan` reproduces, one-line errors for bad input.
@Suite struct TuningCommandTests {
    private struct Table: Decodable, Equatable {
        struct Figure: Decodable, Equatable {
            var correctCount: Int
            var deltaPoints: Double
            var interval95Points: [Double]
        }
        struct Entry: Decodable, Equatable {
            var figure: Figure
            var layerBytes: Int
        }
        struct Row: Decodable, Equatable {
            var name: String
            var options: [Entry]
            var allButThis: Figure
        }
        var sampleCount: Int
        var float: Figure
        var layers: [Row]
    }

    private struct SearchOutput: Decodable {
        struct Figures: Decodable {
            var samples: Int
            var top1: Double
            var deltaPoints: Double
        }
        var bytes: Int
        var validation: Figures
        var heldOut: Figures
        var unseenHalf: Figures?
    }

    private struct EvalOutput: Decodable {
        struct Accuracy: Decodable { var top1: Double }
        struct Size: Decodable { var bytes: Int }
        var accuracy: Accuracy
        var size: Size
    }

    private func run(_ arguments: [String]) throws -> String {
        let result = try TestSupport.runQuantdash(arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        return result.standardOutput
    }

    @Test func shardsMergeIntoTheFullTable() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let common = ["sensitivity", "--model", "demo-mlp", "--limit", "200", "--menu", "8,2"]
        let full = try JSONDecoder().decode(Table.self, from: Data(try run(common + ["--json"]).utf8))
        #expect(full.sampleCount == 200 && full.layers.map(\.name) == ["fc1", "fc2", "fc3"])
        #expect(full.layers.allSatisfy { $0.options.count == 2 })
        // Two bits cost the MLP far more than eight on every layer.
        #expect(full.layers.allSatisfy { $0.options[1].figure.deltaPoints < $0.options[0].figure.deltaPoints })
        var parts: [String] = []
        for index in 1...2 {
            let path = folder.appendingPathComponent("part\(index).json").path
            _ = try run(common + ["--shard", "\(index)/2", "--out", path])
            parts.append(path)
        }
        let merged = try JSONDecoder().decode(
            Table.self, from: Data(try run(["sensitivity", "--merge"] + parts + ["--json"]).utf8))
        #expect(merged == full)
        let text = try run(["sensitivity", "--merge"] + parts)
        #expect(text.contains("fc2") && text.contains("2-bit"))
    }

    @Test func searchWritesAPlanThatEvalReproduces() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json").path
        let output = try JSONDecoder().decode(
            SearchOutput.self,
            from: Data(
                try run([
                    "search", "--model", "demo-mlp", "--limit", "400", "--max-drop", "1", "--menu", "8,4,3,2",
                    "--out", plan, "--json",
                ]).utf8))
        #expect(output.validation.samples == 200 && output.heldOut.samples == 400 && output.unseenHalf?.samples == 200)
        #expect(output.validation.deltaPoints >= -1)
        let eval = try JSONDecoder().decode(
            EvalOutput.self,
            from: Data(try run(["eval", "--model", "demo-mlp", "--limit", "400", "--plan", plan, "--json"]).utf8))
        #expect(eval.accuracy.top1 == output.heldOut.top1)
        #expect(eval.size.bytes == output.bytes)
        // Not overwritten without --force.
        let again = try TestSupport.runQuantdash(["search", "--max-drop", "1", "--limit", "50", "--out", plan])
        #expect(again.status != 0 && again.standardError.contains("--force"))
    }

    @Test(arguments: [
        (["sensitivity", "--shard", "3/2"], "--shard 3/2"),
        (["sensitivity", "--menu", "8,0"], "0 bits"),
        (["sensitivity", "--merge", "/nonexistent/a.json"], "/nonexistent/a.json"),
        (["search", "--out", "/tmp/never.json"], "--max-drop"),
        (["search", "--max-drop", "1", "--target-size", "8x", "--out", "/tmp/never.json"], "exactly one"),
        (["search", "--target-size", "lots", "--out", "/tmp/never.json"], "--target-size lots"),
    ])
    func badInputFailsWithOneLine(arguments: [String], expected: String) throws {
        let result = try TestSupport.runQuantdash(arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
        #expect(result.standardError.split(separator: "\n").count <= 3)
    }

    @Test func aSizeBudgetBelowEveryPlanIsAClearError() throws {
        let result = try TestSupport.runQuantdash([
            "search", "--limit", "100", "--target-size", "1K", "--menu", "8", "--prune", "none", "--out",
            "/tmp/quantdash-never-written.json",
        ])
        #expect(result.status != 0)
        #expect(result.standardError.contains("no plan of at most"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/quantdash-never-written.json"))
    }
}

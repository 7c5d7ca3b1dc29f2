import Foundation
import QuantTestSupport
import Testing

/// Issue 18.2: `eval --integer` measures the integer model's latency beside the float model's.
@Suite struct LatencyCommandTests {
    static let int8Plan = #"""
        { "version": 1, "default": { "bits": 8, "scheme": "symmetric", "granularity": "channel", "activationBits": 8 } }
        """#

    static func writePlan(in folder: URL) throws -> URL {
        let plan = folder.appendingPathComponent("int8.json")
        try Data(Self.int8Plan.utf8).write(to: plan)
        return plan
    }

    @Test(arguments: ["demo-mlp", "demo-cnn"])
    func jsonCarriesALatencyObjectNamingEveryLayer(model: String) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try Self.writePlan(in: folder)
        let result = try TestSupport.runQuantdash([
            "eval", "--model", model, "--plan", plan.path, "--integer", "--latency-runs", "3", "--limit", "100",
            "--json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let latency = try #require(object["latency"] as? [String: Any])
        #expect(latency["runs"] as? Int == 3)
        #expect(latency["batchSize"] as? Int == 32)
        for pass in ["float", "integer"] {
            let figures = try #require(latency[pass] as? [String: Double])
            #expect((figures["msPerImage"] ?? 0) > 0)
            #expect((figures["batchMsPerImage"] ?? 0) > 0)
        }
        let float = try #require((latency["float"] as? [String: Double])?["msPerImage"])
        let integer = try #require((latency["integer"] as? [String: Double])?["msPerImage"])
        let speedup = try #require(latency["speedup"] as? Double)
        #expect(abs(speedup - float / integer) <= 1e-9 * speedup)
        let layers = try #require(latency["layers"] as? [[String: Any]])
        let tableNames = try #require(object["layers"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(layers.compactMap { $0["name"] as? String } == tableNames)
        for layer in layers {
            for key in ["floatMs", "integerMs", "batchFloatMs", "batchIntegerMs"] {
                #expect(((layer[key] as? Double) ?? 0) > 0, "\(key) of \(layer)")
            }
        }
    }

    @Test func textPrintsTheLatencyLineAndZeroRunsSkipsIt() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try Self.writePlan(in: folder)
        let timed = try TestSupport.runQuantdash([
            "eval", "--model", "demo-cnn", "--plan", plan.path, "--integer", "--latency-runs", "5", "--limit", "50",
        ])
        #expect(timed.status == 0, "\(timed.standardError)")
        let line = try #require(timed.standardOutput.split(separator: "\n").first { $0.contains("latency ") })
        #expect(line.contains("ms/image") && line.contains("median of 5 runs"), "\(line)")
        #expect(line.contains("× faster") || line.contains("× slower"), "\(line)")
        #expect(timed.standardOutput.contains("batch of 32: integer"))
        let untimed = try TestSupport.runQuantdash([
            "eval", "--model", "demo-mlp", "--plan", plan.path, "--integer", "--latency-runs", "0", "--limit", "50",
            "--json",
        ])
        #expect(untimed.status == 0, "\(untimed.standardError)")
        #expect(untimed.standardOutput.contains("\"integer\""))
        #expect(!untimed.standardOutput.contains("\"latency\""))
    }

    @Test func latencyRunsIsRefusedWithoutIntegerOrBelowZero() throws {
        let alone = try TestSupport.runQuantdash(["eval", "--latency-runs", "3"])
        #expect(alone.status != 0)
        #expect(alone.standardError.contains("--latency-runs needs --integer"))
        let negative = try TestSupport.runQuantdash([
            "eval", "--plan", "whatever.json", "--integer", "--latency-runs=-1",
        ])
        #expect(negative.status != 0)
        #expect(negative.standardError.contains("--latency-runs must be 0 (no timing) to 1000"))
        let huge = try TestSupport.runQuantdash([
            "eval", "--plan", "whatever.json", "--integer", "--latency-runs", "1000000000",
        ])
        #expect(huge.status != 0)
        #expect(huge.standardError.contains("--latency-runs must be 0 (no timing) to 1000"))
    }
}

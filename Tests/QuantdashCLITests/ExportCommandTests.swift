import Foundation
import QuantTestSupport
import Testing

/// `quantdash export --format config`: the export is a plan that `eval --plan` reproduces.
@Suite struct ExportCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable {
            var top1: Double
            var top5: Double
            var nll: Double
            var agreement: Double?
        }
        struct Size: Decodable {
            var floatBytes: Int
            var bytes: Int
            var compressionRatio: Double
        }
        struct Layer: Decodable {
            var name: String
            var bytes: Int
            var sqnrDecibels: Double?
        }
        var accuracy: Accuracy
        var size: Size
        var layers: [Layer]
    }

    /// The parts of the exported file the tests read.
    private struct Export: Decodable {
        struct Provenance: Decodable {
            struct File: Decodable {
                var path: String
                var sha256: String
            }
            struct Results: Decodable {
                struct Layer: Decodable {
                    var name: String
                    var bytes: Int
                    var sqnrDecibels: Double?
                }
                var top1: Double
                var top5: Double
                var nll: Double
                var agreement: Double?
                var isExact: Bool
                var sizeBytes: Int
                var floatBytes: Int
                var compressionRatio: Double
                var layers: [Layer]
            }
            var model: File
            var data: File
            var calibrationCount: Int?
            var results: Results
        }
        var version: Int
        var layers: [String: [String: JSONValue]]
        var provenance: Provenance
    }

    /// Any JSON value (layer entries are only counted).
    private enum JSONValue: Decodable {
        case other

        init(from decoder: Decoder) throws { self = .other }
    }

    private static let plan = """
        { "version": 1, "default": { "bits": 8 },
          "layers": { "fc1": { "bits": 4, "granularity": "group", "groupSize": 32, "prune": { "sparsity": 0.5 } },
                      "fc2": { "activationBits": 8 } } }
        """

    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.plan.utf8).write(to: folder.appendingPathComponent("plan.json"))
        try body(folder)
    }

    private func eval(_ arguments: [String]) throws -> Summary {
        let result = try TestSupport.runQuantdash(["eval", "--json"] + arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        return try JSONDecoder().decode(Summary.self, from: Data(result.standardOutput.utf8))
    }

    @Test func evalOnTheExportReproducesItsNumbers() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("plan.json").path
            let out = folder.appendingPathComponent("export.json").path
            let result = try TestSupport.runQuantdash(["export", "--plan", plan, "--format", "config", "--out", out])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            #expect(result.standardOutput.hasPrefix("wrote \(out): config for 3 layers of demo-mlp"))

            let export = try JSONDecoder().decode(Export.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
            #expect(export.version == 1)
            #expect(export.provenance.model.path == "demo-mlp")
            #expect(export.provenance.data.path == "demo")
            #expect(export.provenance.model.sha256.count == 64)
            #expect(export.provenance.calibrationCount == 256)
            #expect(export.provenance.results.isExact)

            let original = try eval(["--plan", plan])
            let reproduced = try eval(["--plan", out])
            let recorded = export.provenance.results
            for summary in [original, reproduced] {
                #expect(summary.accuracy.top1 == recorded.top1)
                #expect(summary.accuracy.top5 == recorded.top5)
                #expect(summary.accuracy.nll == recorded.nll)
                #expect(summary.accuracy.agreement == recorded.agreement)
                #expect(summary.size.bytes == recorded.sizeBytes)
                #expect(summary.size.floatBytes == recorded.floatBytes)
                #expect(summary.size.compressionRatio == recorded.compressionRatio)
                #expect(summary.layers.map(\.name) == recorded.layers.map(\.name))
                #expect(summary.layers.map(\.bytes) == recorded.layers.map(\.bytes))
                #expect(summary.layers.map(\.sqnrDecibels) == recorded.layers.map(\.sqnrDecibels))
            }
        }
    }

    @Test func everyLayerIsExplicitInTheExport() throws {
        try withFolder { folder in
            let plan = #"{ "version": 1, "default": { "bits": 6 }, "layers": { "conv1": { "bits": 8 } } }"#
            try Data(plan.utf8).write(to: folder.appendingPathComponent("plan.json"))
            let out = folder.appendingPathComponent("cnn.json").path
            let result = try TestSupport.runQuantdash([
                "export", "--model", "demo-cnn", "--plan", folder.appendingPathComponent("plan.json").path,
                "--format", "config", "--out", out,
            ])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            let export = try JSONDecoder().decode(Export.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
            #expect(export.layers.keys.sorted() == export.provenance.results.layers.map(\.name).sorted())
            #expect(export.layers.count == 4)
            #expect(export.layers["conv1"]?.keys.sorted() == ["bits"])
            #expect(export.provenance.model.path == "demo-cnn")
        }
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("plan.json").path
            let out = folder.appendingPathComponent("export.json")
            try Data("keep me\n".utf8).write(to: out)
            let arguments = ["export", "--plan", plan, "--format", "config", "--out", out.path]
            let refused = try TestSupport.runQuantdash(arguments)
            #expect(refused.status != 0)
            #expect(refused.standardOutput.isEmpty)
            #expect(refused.standardError == "Error: \(out.path) exists; pass --force to overwrite it\n")
            #expect(try Data(contentsOf: out) == Data("keep me\n".utf8))

            let forced = try TestSupport.runQuantdash(arguments + ["--force"])
            #expect(forced.status == 0, "stderr: \(forced.standardError)")
            #expect(try String(contentsOf: out, encoding: .utf8).contains("\"provenance\""))
        }
    }

    @Test func aBadPlanIsOneLineAndWritesNothing() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("plan.json")
            try Data(#"{ "version": 1, "layers": { "fc9": { "bits": 4 } } }"#.utf8).write(to: plan)
            let out = folder.appendingPathComponent("export.json")
            let result = try TestSupport.runQuantdash([
                "export", "--plan", plan.path, "--format", "config", "--out", out.path,
            ])
            #expect(result.status != 0)
            #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
            #expect(result.standardError.contains(plan.path))
            #expect(result.standardError.contains("fc9"))
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test func anUnknownFormatIsRefused() throws {
        let result = try TestSupport.runQuantdash(["export", "--plan", "p.json", "--format", "coreml", "--out", "x"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("coreml"))
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The config export: every layer explicit, provenance attached, written atomically, never over a file by accident.
@Suite struct ConfigExporterTests {
    static let model = FileReference(path: "demo-mlp", sha256: String(repeating: "a", count: 64))
    static let data = FileReference(path: "demo", sha256: String(repeating: "b", count: 64))
    static let results = PlanResults(
        top1: 0.9, top5: 1, meanNLL: 0.3, agreement: 0.99, count: 1000, isExact: true, sizeBytes: 100, floatBytes: 400,
        compressionRatio: 4, layers: [.init(name: "fc1", bytes: 50, sqnrDecibels: 30)])

    private func config() throws -> (QuantPlan, [Layer]) {
        let layers = try ONNXModel.load(contentsOf: BundledModel.mlp.url).layers
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8), layers: ["fc2": LayerSettings(bitWidth: 4)])
        let config = ConfigExporter.config(
            for: plan, layers: layers, model: Self.model, data: Self.data, results: Self.results, calibrationCount: 256,
            exportedAt: Date(timeIntervalSince1970: 1_795_000_000.0004))
        return (config, layers)
    }

    @Test func everyLayerIsExplicitAndProvenanceIsAttached() throws {
        let (config, layers) = try config()
        #expect(Set(config.layers.keys) == Set(layers.map(\.name)))
        #expect(layers.map(\.name) == ["fc1", "fc2", "fc3"])
        #expect(config.layers["fc1"] == LayerSettings(bitWidth: 8))
        #expect(config.layers["fc2"] == LayerSettings(bitWidth: 4))
        #expect(
            config.provenance
                == PlanProvenance(
                    exportedAt: Date(timeIntervalSince1970: 1_795_000_000), model: Self.model, data: Self.data,
                    calibrationCount: 256, results: Self.results))
    }

    @Test func writesAValidPlanAndRefusesToOverwrite() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("export.json")
        let (config, _) = try config()
        try ConfigExporter.write(config, to: url, overwrite: false)
        let written = try Data(contentsOf: url)
        #expect(try QuantPlan.load(contentsOf: url) == config)
        var other = config
        other.defaults = LayerSettings(bitWidth: 6)
        #expect(throws: ModelIOError.exists(path: url.relativePath)) {
            try ConfigExporter.write(other, to: url, overwrite: false)
        }
        #expect(ModelIOError.exists(path: "out.json").description == "out.json: already exists (not overwritten)")
        #expect(try Data(contentsOf: url) == written)
        try ConfigExporter.write(other, to: url, overwrite: true)
        #expect(try QuantPlan.load(contentsOf: url) == other)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["export.json"])
    }
}

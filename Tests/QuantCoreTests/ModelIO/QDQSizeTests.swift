import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The QDQ ONNX size the dashboard's Size pane shows (issue 15.8): the tensors the export
/// stores, checked against the file the exporter writes.
@Suite struct QDQSizeTests {
    static let plans: [(LayerSettings, String)] = [
        (LayerSettings(), "float"),
        (LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel), "int8"),
        (LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor), "uint4"),
        (LayerSettings(bitWidth: 12, scheme: .symmetric, granularity: .channel), "int16"),
        (LayerSettings(bitWidth: 4, scheme: .kmeans), "float fallback"),
        (LayerSettings(bitWidth: 8, granularity: .channel, pruning: .threshold(0.05)), "int8, pruned"),
    ]

    @Test(arguments: plans.indices) func theEstimateIsTheExportedFileLessItsFraming(index: Int) throws {
        let (settings, _) = Self.plans[index]
        let workbench = try QDQExporterTests.workbench(.mlp)
        let plan = QuantPlan(defaults: settings)
        let estimate = try workbench.apply(plan).qdqTensorBytes
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.onnx")
        try QDQExporter.export(plan, using: workbench, to: url)
        let fileBytes = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        // The file holds the tensors plus protobuf framing, names, nodes and the plan metadata.
        #expect(fileBytes >= estimate)
        #expect(fileBytes - estimate < 16 * 1024, "file \(fileBytes) B, estimate \(estimate) B")
    }

    @Test func pruningDoesNotShrinkTheQDQFileButShrinksTheCExport() throws {
        let workbench = try QDQExporterTests.workbench(.mlp)
        let dense = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 8)))
        let pruned = try workbench.apply(
            QuantPlan(defaults: LayerSettings(bitWidth: 8, pruning: .sparsity(0.9))))
        #expect(pruned.qdqTensorBytes == dense.qdqTensorBytes)
        #expect(pruned.size.currentBytes < dense.size.currentBytes)
        // int8 codes: about a quarter of float32.
        let float = try workbench.apply(QuantPlan())
        #expect(float.qdqTensorBytes == float.size.floatBytes)
        #expect(Double(dense.qdqTensorBytes) < 0.26 * Double(float.qdqTensorBytes))
    }
}

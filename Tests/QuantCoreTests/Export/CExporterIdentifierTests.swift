import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.11: layer names that map to the same C identifier (`fc-1`, `fc_1`, `fc.1`) get
/// distinct ones, and the export compiles.
@Suite struct CExporterIdentifierTests {
    @Test func collidingNamesGetDistinctIdentifiers() {
        let names = ["fc-1", "fc_1", "fc.1", "fc_1_2", "1x", "é"]
        let identifiers = CExporter.uniqueIdentifiers(names)
        #expect(Set(identifiers.values).count == names.count)
        #expect(identifiers["fc-1"] == "fc_1")
        #expect(identifiers["fc_1"] == "fc_1_2")
        #expect(identifiers["fc.1"] == "fc_1_3")
        #expect(identifiers["fc_1_2"] == "fc_1_2_2")
        #expect(identifiers["1x"] == "_1x")
        for identifier in identifiers.values {
            #expect(identifier.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            #expect(identifier.first?.isNumber == false)
        }
    }

    @Test func theDemoMLPWithCollidingLayerNamesCompiles() throws {
        var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let renamed = ["fc-1", "fc_1", "fc.1"]
        let layerNodes = graph.layers.map(\.nodeIndex)
        try #require(layerNodes.count == renamed.count)
        for (index, name) in zip(layerNodes, renamed) { graph.nodes[index].name = name }
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(20), calibration: nil)
        #expect(workbench.layerNames == renamed)
        let model = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .asymmetric)))
        let export = try CExporter.generate(model, graph: workbench.graph, name: "clash", path: "clash")
        let arrays = export.arrays.map(\.name)
        #expect(Set(arrays).count == arrays.count, "duplicate arrays: \(arrays)")
        for prefix in ["clash_fc_1_codes", "clash_fc_1_2_codes", "clash_fc_1_3_codes"] {
            #expect(arrays.contains(prefix), "\(arrays)")
        }

        guard let compiler = CExporterTests.compiler else {
            print("skipping the C build: no C compiler (cc, gcc, clang) on PATH")
            return
        }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CExporter.write(export, into: folder, overwrite: false)
        let build = try CExporterTests.run(
            compiler, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "-o", "clash.o", "clash.c"], in: folder)
        #expect(build.status == 0, "C build failed:\n\(build.output)")
    }
}

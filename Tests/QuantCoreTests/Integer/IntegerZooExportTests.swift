import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The model zoo's steps in the exports: the C export of a Concat with a requantized input and a
/// GlobalAveragePool gives the integer model's codes exactly; the TFLite int8 export writes the
/// Concat as QUANTIZE (int8 → int8) + CONCATENATION on one scale.
@Suite struct IntegerZooExportTests {
    typealias Zoo = IntegerZooOperatorTests

    /// The two-branch model of two scales, lowered, with a GlobalAveragePool after its Concat.
    static func pooledBranches() throws -> (Workbench, IntegerModel) {
        let workbench = try Workbench(
            graph: Zoo.branches(bGain: 3), heldOut: try Zoo.data(count: 16, seed: 5),
            calibration: try Zoo.data(count: 64, seed: 9))
        var (_, integer) = try workbench.integerModel(for: Zoo.int8Plan)
        integer.steps.append(.globalAveragePool(input: integer.outputName, output: "pooled"))
        integer.outputName = "pooled"
        return (workbench, integer)
    }

    @Test(arguments: Requantization.allCases)
    func theCExportOfConcatRequantizeAndGlobalAveragePoolGivesTheIntegerModelsCodes(
        requantization: Requantization
    ) throws {
        var (workbench, integer) = try Self.pooledBranches()
        integer.requantization = requantization
        #expect(integer.steps.contains { if case .requantize = $0 { true } else { false } })
        let images = try workbench.heldOut.images
        let expected = try integer.outputCodes(images)
        #expect(expected.shape == [16, 8, 1, 1])
        let export = try CExporter.generateInteger(integer, inputShape: [3, 6, 6], name: "zoo", path: "zoo")
        let call = requantization == .float ? "qd_requantize((int32_t)x[i]" : "qd_requantize_fixed((int32_t)x[i]"
        #expect(export.source.contains(call))
        let outputs = try CExporterIntegerTests.compileAndRun(
            export, inputs: images, quantization: integer.inputQuantization)
        #expect(outputs.codes == expected.codes.map(Int32.init))
        #expect(Set(expected.codes).count > 5, "the outputs should not all be one code")
    }

    @Test func theTFLiteExportWritesTheConcatOnOneScale() throws {
        let workbench = try Workbench(
            graph: Zoo.branches(bGain: 3), heldOut: try Zoo.data(count: 8, seed: 5),
            calibration: try Zoo.data(count: 64, seed: 9))
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let export = try TFLiteExporter.export(Zoo.int8Plan, using: workbench, to: folder.appendingPathComponent("z"))
        #expect(export.format == .int8)
        let file = try TFLiteFileGraph(bytes: export.bytes)
        let concat = try #require(file.operators.first { $0.name == "CONCATENATION" })
        #expect(try concat.options?.int32(0) == 3, "the NCHW channel axis is NHWC's last")
        let output = file.tensors[concat.outputs[0]]
        for input in concat.inputs {
            #expect(file.tensors[input].scale == output.scale && file.tensors[input].zeroPoint == output.zeroPoint)
        }
        // One QUANTIZE for the float input, one moving the finer branch to the Concat's scale.
        #expect(file.operators.filter { $0.name == "QUANTIZE" }.count == 2)
    }
}

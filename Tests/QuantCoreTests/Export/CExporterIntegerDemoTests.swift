import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The C export of int8 plans on the demo models: the integer form, compiled, gives
/// `eval --integer`'s output codes on every held-out digit; other plans keep the float form and
/// say why.
@Suite struct CExporterIntegerDemoTests {
    static let int8Channel = QuantPlan(
        defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel, activationBits: 8))
    static let int8TensorPruned = QuantPlan(
        defaults: LayerSettings(
            bitWidth: 8, scheme: .symmetric, granularity: .tensor, pruning: .sparsity(0.5), activationBits: 8))

    @Test(arguments: [
        (BundledModel.cnn, "per-channel", Self.int8Channel, Requantization.float),
        (BundledModel.mlp, "per-tensor, 50 % pruned", Self.int8TensorPruned, .float),
        (BundledModel.cnn, "per-channel", Self.int8Channel, .fixedPoint),
        (BundledModel.mlp, "per-tensor, 50 % pruned", Self.int8TensorPruned, .fixedPoint),
    ])
    func heldOutDigitsGiveTheIntegerModelsCodes(
        _ model: BundledModel, _ label: String, _ plan: QuantPlan, _ requantization: Requantization
    ) throws {
        let workbench = try #require(CExporterTests.workbenches[model])
        let export = try CExporter.export(
            plan, using: workbench, name: "qmodel", path: "qmodel", requantization: requantization)
        #expect(export.form == .integer, "\(export.reason)")
        #expect(export.requantization == requantization)
        #expect(export.source.contains("qd_requantize_fixed(acc") == (requantization == .fixedPoint))
        let (quantized, integer) = try workbench.integerModel(for: plan, requantization: requantization)
        #expect(export.sizeModelBytes == quantized.size.currentBytes)
        #expect(CExporterTests.declaredArrayBytes(in: export.source) == export.flashBytes)
        #expect(export.header.contains("#define QMODEL_RAM_BYTES \(export.ramBytes)\n"))
        let images = try workbench.heldOut.images(in: 0..<workbench.heldOut.count)
        let expected = try integer.outputCodes(images)
        let outputs = try CExporterIntegerTests.compileAndRun(
            export, inputs: images, quantization: integer.inputQuantization)
        let values = expected.dequantized().storage
        #expect(outputs.values.count == values.count)
        let differing = zip(outputs.values, values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) output values differ from eval --integer's")
        #expect(outputs.codes == expected.codes.map(Int32.init))
        print(
            "\(model) int8 \(label), \(requantization.rawValue): C output codes equal eval --integer's on \(workbench.heldOut.count) digits; "
                + "flash \(export.flashBytes) B (size model \(export.sizeModelBytes) B), RAM \(export.ramBytes) B")
    }

    @Test func aPlanWithoutAnInt8FormKeepsTheFloatFormAndSaysWhy() throws {
        let workbench = try #require(CExporterTests.workbenches[.cnn])
        let fourBit = QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .symmetric, activationBits: 8))
        let export = try CExporter.export(fourBit, using: workbench, name: "q", path: "q")
        #expect(export.form == .float)
        #expect(export.reason.hasPrefix("no integer form: layer conv1 has 4-bit weights"), "\(export.reason)")
        #expect(export.header.contains(export.reason))
        #expect(export.flashBytes == export.sizeModelBytes)

        var filters = Self.int8Channel
        filters.layers["conv1"] = LayerSettings(
            bitWidth: 8, scheme: .symmetric, granularity: .channel, pruning: .filters(0.25), activationBits: 8)
        let cut = try CExporter.export(filters, using: workbench, name: "q", path: "q")
        #expect(cut.form == .float)
        #expect(cut.reason.contains("structured pruning"), "\(cut.reason)")
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Single-operator cases whose expected outputs onnxruntime computed
/// (`Scripts/make_onnxruntime_op_cases.py`), for forms ONNX's node cases leave out: Resize-10,
/// Upsample 7 and 9, every nearest_mode × coordinate transformation, GroupNormalization-18,
/// the Einsum forms of transformer exports, grouped 1-D/2-D ConvTranspose with output_padding,
/// TopK ties and opset 1's attribute k. Compared as ONNX's runner does (rtol 1e-3), with
/// atol 1e-5 since onnxruntime sums in another order.
@Suite struct ONNXRuntimeOpCaseTests {
    /// The folder of the cases.
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/onnxruntime-op-cases")

    /// Every case folder's name.
    static let cases: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
        .sorted()

    @Test(arguments: cases)
    func caseReproducesOnnxruntime(_ name: String) throws {
        let outputs = try ONNXBackendCase.run(Self.folder.appendingPathComponent(name), atol: 1e-5)
        #expect(outputs >= 1)
    }

    @Test func everyOperatorFormIsCovered() {
        // The script writes 43 cases; a missing folder would silently shrink the check.
        #expect(Self.cases.count == 43)
        for prefix in [
            "resize10_", "upsample", "resize13_nearest_", "resize13_linear_", "groupnorm18", "einsum_",
            "convtranspose_", "topk_",
        ] {
            #expect(Self.cases.contains { $0.hasPrefix(prefix) }, "no case starts with \(prefix)")
        }
    }
}

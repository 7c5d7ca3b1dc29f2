import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The float TFLite form of the operators real CNNs add to the demo models' (unfolded
/// BatchNormalization, depthwise Conv, Clip with input bounds as ReLU6, a residual Add, global
/// pooling). LiteRT runs these in CI (Scripts/check_tflite_graphs.py); here: which operators the
/// file holds, and the arithmetic of the two rewrites that are not one-to-one.
@Suite struct TFLiteOperatorCoverageTests {
    @Test func aResidualCNNWithBatchNormAndDepthwiseConvIsWritten() throws {
        let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/gradient-cases/network_cnn")
        let graph = try ONNXModel.load(contentsOf: folder.appendingPathComponent("model.onnx"))
        let input = try ONNXTensorFile.load(
            contentsOf: folder.appendingPathComponent("test_data_set_0/input_0.pb")
        ).tensor
        let heldOut = try Dataset(name: "cnn", images: input, labels: [0, 1, 2], classCount: 5)
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: nil)
        let quantized = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 4)))
        let export = try TFLiteExporter.convert(graph, quantized: quantized, path: "cnn.tflite")
        #expect(export.format == .float)
        let kinds = Set(export.model.operators.map(\.kind))
        // BatchNorm → MUL + ADD, the depthwise Conv, Clip(0, 6) from Constant inputs → RELU6,
        // GlobalAveragePool → one AVERAGE_POOL_2D window.
        for kind in [TFLiteOperatorKind.mul, .add, .depthwiseConv2D, .relu6, .averagePool2D, .conv2D, .maxPool2D] {
            #expect(kinds.contains(kind), "\(kind) missing from \(kinds)")
        }
        let depthwise = try #require(export.model.operators.first { $0.kind == .depthwiseConv2D })
        #expect(export.model.tensors[Int(depthwise.inputs[1])].shape == [1, 3, 3, 4])  // [1, kH, kW, C·multiplier]
    }

    /// count_include_pad = 0: a 3×3 window at stride 1 with one pixel of padding covers 4 pixels
    /// in a corner and 6 on an edge, so the zero-padded average is scaled by 9/4 and 9/6 there.
    @Test func anAverageThatSkipsPadsIsScaledByWindowOverCount() {
        let factors = TFLiteConverter.windowCorrection(
            window: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], input: [4, 4], output: [4, 4])
        #expect(factors.count == 16)
        #expect(factors[0] == 9 / 4 && factors[1] == 9 / 6 && factors[5] == 1 && factors[15] == 9 / 4)
    }

    /// A per-channel constant keeps an NHWC activation NHWC (stored as [C]); anything else does not.
    @Test func perChannelConstantsBroadcastInNHWC() {
        let shape = [1, 8, 5, 5]
        let perChannel = Tensor(shape: [1, 8, 1, 1], storage: [Float](repeating: 2, count: 8))
        #expect(TFLiteConverter.broadcastConstant(perChannel, against: shape) == ([8], true))
        let scalar = Tensor(shape: [], storage: [3])
        #expect(TFLiteConverter.broadcastConstant(scalar, against: shape) == ([1], true))
        let spatial = Tensor(shape: [1, 1, 5, 5], storage: [Float](repeating: 1, count: 25))
        #expect(TFLiteConverter.broadcastConstant(spatial, against: shape).perChannel == false)
    }

    /// Ceil mode (torchvision's SqueezeNet and GoogLeNet pools): a 3×3 window at stride 2 over 16
    /// positions gives 8 outputs (floor mode: 7), so the end pad grows by one; a window that
    /// already fits keeps its pads.
    @Test func ceilModePoolingGrowsTheEndPadsUntilTheLastWindowFits() {
        var attributes = PoolAttributes(kernelShape: [3, 3])
        attributes.strides = [2, 2]
        attributes.ceilMode = true
        let grown = TFLiteConverter.floorEquivalent(attributes, input: [16, 15], output: [8, 7])
        #expect(grown.pads == [0, 0, 1, 0])
        #expect(!grown.ceilMode)
        attributes.pads = [1, 1, 1, 1]
        #expect(TFLiteConverter.floorEquivalent(attributes, input: [17, 17], output: [9, 9]).pads == [1, 1, 1, 1])
    }
}

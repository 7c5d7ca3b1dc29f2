import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The full-integer int8 `tflite` export, read back with `TFLiteFileGraph`: the file holds the
/// `IntegerModel` that `eval --integer` runs (its int8 weight codes, per-channel scales, int32
/// biases at `s_x · s_w`, activation scales), and plans without an int8 form get the float form
/// with the reason. (`Scripts/check_tflite_export.py` runs the files in LiteRT.)
@Suite struct TFLiteIntegerExportTests {
    static let int8Plan = IntegerLoweringTests.int8Plan

    /// `[out, in, kH, kW]` codes as OHWI.
    static func ohwi(_ codes: [Int8], out: Int, in channels: Int, kernel: Int) -> [Int8] {
        var result = [Int8](repeating: 0, count: codes.count)
        for o in 0..<out {
            for c in 0..<channels {
                for y in 0..<kernel {
                    for x in 0..<kernel {
                        result[((o * kernel + y) * kernel + x) * channels + c] =
                            codes[((o * channels + c) * kernel + y) * kernel + x]
                    }
                }
            }
        }
        return result
    }

    /// Checks every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED against the integer model's layers.
    static func expectLayersMatch(_ file: TFLiteFileGraph, _ integer: IntegerModel, _ quantized: QuantizedModel) throws
    {
        let linear = file.operators.filter { ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"].contains($0.name) }
        let layers = integer.linearLayers
        #expect(linear.count == layers.count)
        for (op, layer) in zip(linear, layers) {
            let (input, weights, bias) = (
                file.tensors[op.inputs[0]], file.tensors[op.inputs[1]], file.tensors[op.inputs[2]]
            )
            let output = file.tensors[op.outputs[0]]
            #expect(input.type == 9 && weights.type == 9 && bias.type == 2 && output.type == 9, "\(layer.layerName)")
            // Per-channel: one scale per output channel, zero points 0, along the output-channel axis.
            let axis = op.name == "DEPTHWISE_CONV_2D" ? 3 : 0
            #expect(weights.shape[axis] == layer.outputChannels)
            #expect(weights.scale.count == layer.outputChannels)
            #expect(weights.quantizedDimension == Int32(axis))
            #expect(weights.zeroPoint == Array(repeating: 0, count: layer.outputChannels))
            let scales = try #require(quantized.report(for: layer.layerName)?.quantized?.scales)
            #expect(
                weights.scale == (scales.count == 1 ? Array(repeating: scales[0], count: layer.outputChannels) : scales)
            )
            // int32 biases: the integer model's, with scale s_x · s_w per channel.
            #expect(file.int32s(op.inputs[2]) == layer.bias)
            #expect(bias.scale == weights.scale.map { input.scale[0] * $0 })
            #expect(output.scale == [layer.outputQuantization.scale])
            let shift: Int64 = layer.outputQuantization.isSigned ? 0 : -128
            #expect(output.zeroPoint == [Int64(layer.outputQuantization.zeroPoint) + shift])
            // The codes, in TFLite's layout.
            let codes = file.int8s(op.inputs[1])
            switch op.name {
            case "FULLY_CONNECTED":
                #expect(codes == layer.weights)
            case "CONV_2D":
                let kernel = weights.shape[1]
                let channels = weights.shape[3]
                #expect(codes == ohwi(layer.weights, out: layer.outputChannels, in: channels, kernel: kernel))
            default:  // [1, kH, kW, out]: element (y, x, o) = code (o, 0, y, x)
                let kernel = weights.shape[1]
                let (o, y, x) = (layer.outputChannels - 1, kernel - 1, 0)
                #expect(
                    codes[(y * kernel + x) * layer.outputChannels + o] == layer.weights[(o * kernel + y) * kernel + x])
                #expect(codes.sorted() == layer.weights.sorted())
            }
            // A ReLU folded into the requantization becomes the fused RELU (int8 codes from the zero point).
            let folded = layer.clamp.lowerBound > layer.outputQuantization.codeRange.lowerBound
            let field = op.name == "CONV_2D" ? 3 : op.name == "DEPTHWISE_CONV_2D" ? 4 : 0
            #expect(try op.options?.int8(field) == (folded ? 1 : 0), "\(layer.layerName)")
        }
    }

    @Test func anInt8PlanWritesTheIntegerModelOfTheCNN() throws {
        let (file, workbench, export) = try TFLiteExporterTests.export(Self.int8Plan, model: .cnn)
        #expect(export.format == .int8)
        #expect(file.metadata["quantdash.format"] == "full-integer int8")
        #expect(file.metadata["quantdash.format_reason"] == export.reason)
        #expect(
            file.operators.map(\.name) == [
                "QUANTIZE", "RESHAPE", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D", "TRANSPOSE", "RESHAPE",
                "FULLY_CONNECTED", "FULLY_CONNECTED", "DEQUANTIZE",
            ])
        // Float I/O with the ONNX input shape; the input quantized as the integer model quantizes it.
        let (quantized, integer) = try workbench.integerModel(for: Self.int8Plan)
        let (input, output) = (file.tensors[file.inputs[0]], file.tensors[file.outputs[0]])
        #expect(input.type == 0 && input.shape == [1, 1, 28, 28] && input.signature == [-1, 1, 28, 28])
        #expect(output.type == 0 && output.shape == [1, 10])
        let codes = file.tensors[file.operators[0].outputs[0]]
        let q = integer.inputQuantization
        #expect(codes.type == 9 && codes.scale == [q.scale])
        #expect(codes.zeroPoint == [Int64(q.zeroPoint) - (q.isSigned ? 0 : 128)])
        // Every operator between QUANTIZE and DEQUANTIZE reads and writes int8 with one scale.
        for op in file.operators.dropFirst().dropLast() {
            let (x, y) = (file.tensors[op.inputs[0]], file.tensors[op.outputs[0]])
            #expect(x.type == 9 && y.type == 9 && x.scale.count == 1 && y.scale.count == 1, "\(op.name)")
        }
        // Pooling and reshapes keep the quantization of what they read.
        for op in file.operators where ["MAX_POOL_2D", "RESHAPE", "TRANSPOSE"].contains(op.name) {
            #expect(file.tensors[op.inputs[0]].scale == file.tensors[op.outputs[0]].scale)
            #expect(file.tensors[op.inputs[0]].zeroPoint == file.tensors[op.outputs[0]].zeroPoint)
        }
        try Self.expectLayersMatch(file, integer, quantized)
        // int8 weights: the file is about a quarter of the float form's.
        let float = try TFLiteExporterTests.export(
            QuantPlan(defaults: LayerSettings(bitWidth: 8, scheme: .asymmetric)), model: .cnn
        ).2
        #expect(export.byteCount * 3 < float.byteCount)
    }

    @Test func int8InputAndOutputDropTheQuantizeAndDequantize() throws {
        let workbench = try QDQExporterTests.workbench(.mlp)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("mlp-int8io.tflite")
        let export = try TFLiteExporter.export(Self.int8Plan, using: workbench, to: url, integerIO: true)
        let file = try TFLiteFileGraph(bytes: [UInt8](try Data(contentsOf: url)))
        #expect(export.format == .int8 && export.reason.contains("int8 input and output"))
        #expect(file.operators.map(\.name) == ["RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED"])
        let (quantized, integer) = try workbench.integerModel(for: Self.int8Plan)
        let (input, output) = (file.tensors[file.inputs[0]], file.tensors[file.outputs[0]])
        #expect(input.type == 9 && input.shape == [1, 1, 28, 28] && input.scale == [integer.inputQuantization.scale])
        #expect(output.type == 9 && output.shape == [1, 10])
        #expect(output.scale == [try #require(integer.linearLayers.last).outputQuantization.scale])
        try Self.expectLayersMatch(file, integer, quantized)
    }

    @Test func aPlanWithoutAnInt8FormGetsTheFloatFormAndSaysWhy() throws {
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 4, granularity: .channel, activationBits: 8))
        let (file, _, export) = try TFLiteExporterTests.export(plan, model: .mlp)
        #expect(export.format == .float)
        #expect(export.reason.hasPrefix("no full-integer form: ") && export.reason.contains("4-bit weights"))
        #expect(file.metadata["quantdash.format_reason"] == export.reason)
        #expect(file.tensors.allSatisfy { $0.type != 9 || $0.data.isEmpty }, "no int8 weights in the float form")
        // Asking for int8 I/O then is refused in one line, and nothing is written.
        let workbench = try QDQExporterTests.workbench(.mlp)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("w4.tflite")
        #expect {
            try TFLiteExporter.export(plan, using: workbench, to: url, integerIO: true)
        } throws: { error in
            let text = "\(error)"
            return text.contains("w4.tflite") && text.contains("full-integer") && text.contains("4-bit")
                && !text.contains("\n")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aDepthwiseConvolutionIsWrittenAsDepthwiseConv2D() throws {
        // The demo CNN with a 3×3 depthwise convolution (8 groups, pads 1) inserted before the first pooling.
        var graph = try ONNXModel.load(contentsOf: try BundledModel.cnn.url)
        let pool = try #require(graph.nodes.firstIndex { if case .maxPool = $0.op { true } else { false } })
        let source = graph.nodes[pool].inputs[0]
        graph.initializers["dw.weight"] = Tensor(
            shape: [8, 1, 3, 3], storage: (0..<72).map { Float(sin(Double($0) * 1.7)) * 0.4 })
        graph.initializers["dw.bias"] = Tensor(shape: [8], storage: (0..<8).map { Float($0) * 0.01 - 0.03 })
        graph.nodes[pool].inputs[0] = "dw.out"
        graph.nodes.insert(
            Node(
                name: "dw", op: .conv(ConvAttributes(kernelShape: [3, 3], pads: [1, 1, 1, 1], group: 8)),
                inputs: [source, "dw.weight", "dw.bias"], outputs: ["dw.out"]), at: pool)
        let workbench = try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet().first(50),
            calibration: try DemoData.trainingSet().evenlySpaced(64))
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("dw.tflite")
        let export = try TFLiteExporter.export(Self.int8Plan, using: workbench, to: url)
        #expect(export.format == .int8)
        let file = try TFLiteFileGraph(bytes: export.bytes)
        let depthwise = try #require(file.operators.first { $0.name == "DEPTHWISE_CONV_2D" })
        #expect(file.tensors[depthwise.inputs[1]].shape == [1, 3, 3, 8])
        #expect(try depthwise.options?.int32(3) == 1, "depth multiplier")
        #expect(try depthwise.options?.int8(0) == 0, "pads 1 with stride 1 is TensorFlow's SAME")
        let (quantized, integer) = try workbench.integerModel(for: Self.int8Plan)
        try Self.expectLayersMatch(file, integer, quantized)
    }
}

import Foundation
import Testing

@testable import QuantCore

/// Issue 17.1: empirical bias correction. The engine's corrected biases are checked against a
/// brute-force reference (run the float model and the model with one quantized layer on the
/// calibration set, average the layer's output difference per channel), and the QDQ export is
/// checked to carry them.
@Suite struct BiasCorrectionTests {
    /// Deterministic values in −0.5…0.5 (a fixed LCG).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
    }

    /// `x [?, 2, 7, 7]` → conv_a (pads 1,0 / 1,1, strides 2,1) → ReLU → conv_b (group 2,
    /// dilations 1,2) → Flatten → fc (Gemm, transB, α 0.7, β 2) → ReLU → head (MatMul) → Add → y [?, 3].
    static func graph(withBiases: Bool = true) -> Graph {
        let initializers: [String: Tensor] = [
            "wa": Tensor(shape: [4, 2, 3, 3], storage: values(72, seed: 1)),
            "ba": Tensor(shape: [4], storage: values(4, seed: 2)),
            "wb": Tensor(shape: [4, 2, 2, 2], storage: values(32, seed: 3)),
            "bb": Tensor(shape: [4], storage: values(4, seed: 4)),
            "wc": Tensor(shape: [5, 48], storage: values(240, seed: 5)),
            "bc": Tensor(shape: [5], storage: values(5, seed: 6)),
            "wd": Tensor(shape: [5, 3], storage: values(15, seed: 7)),
            "bd": Tensor(shape: [1, 3], storage: values(3, seed: 8)),
        ]
        let bias = { (name: String) in withBiases ? [name] : [] }
        let nodes = [
            Node(
                name: "conv_a", op: .conv(ConvAttributes(strides: [2, 1], pads: [1, 0, 1, 1])),
                inputs: ["x", "wa"] + bias("ba"), outputs: ["a"]),
            Node(name: "relu_a", op: .relu, inputs: ["a"], outputs: ["ra"]),
            Node(
                name: "conv_b", op: .conv(ConvAttributes(dilations: [1, 2], group: 2)),
                inputs: ["ra", "wb"] + bias("bb"), outputs: ["b"]),
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["b"], outputs: ["f"]),
            Node(
                name: "fc", op: .gemm(GemmAttributes(alpha: 0.7, beta: 2, transposeB: true)),
                inputs: ["f", "wc"] + bias("bc"), outputs: ["c"]),
            Node(name: "relu_c", op: .relu, inputs: ["c"], outputs: ["rc"]),
            Node(name: "head", op: .matMul, inputs: ["rc", "wd"], outputs: ["m"]),
            Node(name: "head_bias", op: .add, inputs: ["m", withBiases ? "bd" : "m"], outputs: ["y"]),
        ]
        return Graph(
            name: "bias-correction", inputs: [ValueInfo(name: "x", shape: [nil, 2, 7, 7])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3])],
            initializers: withBiases ? initializers : initializers.filter { !$0.key.hasPrefix("b") }, nodes: nodes)
    }

    /// `count` samples of `x` with a positive mean (as after a ReLU), so the correction matters.
    static func data(_ count: Int, seed: UInt64) throws -> Dataset {
        let images = Tensor(shape: [count, 2, 7, 7], storage: values(count * 98, seed: seed).map { $0 + 0.4 })
        return try Dataset(name: "data", images: images, labels: (0..<count).map { $0 % 3 }, classCount: 3)
    }

    static func workbench(withBiases: Bool = true, calibration: Bool = true) throws -> Workbench {
        let workbench = try Workbench(
            graph: graph(withBiases: withBiases), heldOut: try data(12, seed: 20),
            calibration: calibration ? try data(23, seed: 21) : nil)
        workbench.batchSize = 5  // several batches, the last one short
        return workbench
    }

    static let coarse = LayerSettings(bitWidth: 3, scheme: .asymmetric, granularity: .tensor)

    /// Per channel, the mean of `after − before` over every other axis.
    static func channelMeans(_ after: Tensor, _ before: Tensor, channelAxis: Int) -> [Double] {
        let channels = after.shape[channelAxis]
        let inner = after.shape[(channelAxis + 1)...].reduce(1, *)
        var sums = [Double](repeating: 0, count: channels)
        for index in after.storage.indices {
            sums[(index / inner) % channels] += Double(after.storage[index] - before.storage[index])
        }
        return sums.map { $0 / Double(after.count / channels) }
    }

    @Test func correctedBiasesMatchTheBruteForceReference() throws {
        let workbench = try Self.workbench()
        let calibration = try #require(workbench.calibration).images
        // (layer, its output value, channel axis, bias, bias factor β)
        let cases: [(String, String, Int, String, Float)] = [
            ("conv_a", "a", 1, "ba", 1), ("conv_b", "b", 1, "bb", 1), ("fc", "c", 1, "bc", 2),
            ("head", "m", 1, "bd", 1),
        ]
        var corrected = Self.coarse
        corrected.biasCorrection = true
        let model = try workbench.apply(QuantPlan(defaults: corrected))
        #expect(model.weightOverrides.count == 8)  // four weights, four biases
        for (layer, output, axis, biasName, beta) in cases {
            // Only this layer quantized (no correction): its input is the float model's.
            let alone = try workbench.apply(QuantPlan(layers: [layer: Self.coarse]))
            let float = try workbench.executor.run(["x": calibration], keeping: [output])
            let quantized = try workbench.executor.run(
                ["x": calibration], weightOverrides: alone.weightOverrides, keeping: [output])
            let shift = Self.channelMeans(
                try #require(quantized[output]), try #require(float[output]), channelAxis: axis)
            let original = try #require(workbench.graph.initializers[biasName])
            let engine = try #require(model.weightOverrides[biasName])
            #expect(engine.shape == original.shape)
            #expect(shift.contains { abs($0) > 1e-3 }, "\(layer): 3-bit weights shift the outputs")
            for channel in shift.indices {
                let expected = Double(original.storage[channel]) - shift[channel] / Double(beta)
                #expect(
                    abs(Double(engine.storage[channel]) - expected) <= 1e-5 + 1e-4 * abs(expected),
                    "\(layer) channel \(channel): \(engine.storage[channel]) vs \(expected)")
            }
            // With the correction the layer's mean output is the float model's again.
            var one = Self.coarse
            one.biasCorrection = true
            let fixed = try workbench.apply(QuantPlan(layers: [layer: one]))
            let run = try workbench.executor.run(
                ["x": calibration], weightOverrides: fixed.weightOverrides, keeping: [output, "y"])
            let residual = Self.channelMeans(try #require(run[output]), try #require(float[output]), channelAxis: axis)
            // The layer output excludes its bias (MatMul) or includes β·Δb (Conv, Gemm).
            if layer != "head" { #expect(residual.allSatisfy { abs($0) < 1e-4 }, "\(layer): \(residual)") }
        }
    }

    @Test func theQDQExportCarriesTheCorrectedBiases() throws {
        let workbench = try Self.workbench()
        var settings = Self.coarse
        settings.biasCorrection = true
        let model = try workbench.apply(QuantPlan(defaults: settings))
        let plain = try workbench.apply(QuantPlan(defaults: Self.coarse))
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let reread = try ONNXModel.decode(try ONNXModel.encode(qdq), source: "qdq.onnx")
        for name in ["ba", "bb", "bc", "bd"] {
            let written = try #require(reread.initializers[name])
            #expect(written == model.weightOverrides[name], "\(name)")
            #expect(written != workbench.graph.initializers[name], "\(name) is corrected")
        }
        // The exported model computes what the workbench evaluates, which differs from no correction.
        let batch = try workbench.heldOut.images
        let expected = try workbench.logits(for: batch, model: model)
        #expect(expected != (try workbench.logits(for: batch, model: plain)))
        let logits = try #require(try GraphExecutor(graph: reread).run(["x": batch])["y"])
        for (a, b) in zip(logits.storage, expected.storage) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        // The plan inside the export keeps the option.
        let embedded = try #require(reread.metadata[QDQExporter.planKey])
        #expect(try QuantPlan.decoded(from: Data(embedded.utf8), file: "embedded").defaults.biasCorrection)
    }

    @Test func floatLayersAreLeftAloneAndMissingBiasesOrDataAreNamed() throws {
        var settings = LayerSettings.float
        settings.biasCorrection = true
        let workbench = try Self.workbench()
        #expect(try workbench.apply(QuantPlan(defaults: settings)).weightOverrides.isEmpty)

        var quantized = Self.coarse
        quantized.biasCorrection = true
        let biasless = try Self.workbench(withBiases: false)
        #expect(biasless.biasCorrectionProblem(for: try #require(biasless.layer(named: "fc"))) != nil)
        let error = #expect(throws: PlanError.self) { try biasless.apply(QuantPlan(layers: ["fc": quantized])) }
        #expect(
            error?.description == "layers.fc.biasCorrection: the layer has no constant bias to correct",
            "\(String(describing: error))")

        let uncalibrated = try Self.workbench(calibration: false)
        let missing = #expect(throws: PlanError.self) { try uncalibrated.apply(QuantPlan(layers: ["fc": quantized])) }
        #expect(missing?.description.contains("layers.fc.biasCorrection: needs calibration data") == true)
    }

    @Test func planFilesReadAndWriteTheOptionStrictly() throws {
        let json = #"{ "version": 1, "default": { "bits": 4 }, "layers": { "fc1": { "biasCorrection": true } } }"#
        let plan = try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
        #expect(plan.layers["fc1"]?.biasCorrection == true && plan.defaults.biasCorrection == false)
        let text = String(decoding: try plan.encoded(), as: UTF8.self)
        #expect(text.components(separatedBy: "biasCorrection").count == 2)  // the layer only, not "default"
        #expect(try QuantPlan.decoded(from: try plan.encoded(), file: "again.json") == plan)
        // A layer can turn an inherited correction off.
        let off =
            #"{ "version": 1, "default": { "bits": 4, "biasCorrection": true }, "layers": { "a": { "biasCorrection": false } } }"#
        let inherited = try QuantPlan.decoded(from: Data(off.utf8), file: "plan.json")
        #expect(inherited.defaults.biasCorrection && inherited.layers["a"]?.biasCorrection == false)
        for value in ["1", #""yes""#, "null"] {
            let bad = #"{ "version": 1, "layers": { "fc1": { "biasCorrection": \#(value) } } }"#
            let error = #expect(throws: PlanError.self) { try QuantPlan.decoded(from: Data(bad.utf8), file: "p.json") }
            #expect(
                error?.description.hasPrefix("p.json: layers.fc1.biasCorrection: expected true or false") == true,
                "\(String(describing: error))")
        }
    }
}

import Foundation
import Testing

@testable import QuantCore

/// Issue 17.1: cross-layer equalization. The engine's scales and weights are checked against plain
/// loops over the weight arrays, the float model's outputs against the unequalized model's
/// (synthetic graph with a depthwise and a grouped Conv, a Flatten and a MatMul; both demo models),
/// and quantization, bias correction and the QDQ export against the equalized weights.
@Suite struct CrossLayerEqualizationTests {
    static let values = BiasCorrectionTests.values

    /// `x [?, 3, 6, 6]` → conv_a (3→6, 3×3, pads 1) → Relu → dw (depthwise, group 6) → Clip(0, ∞)
    /// → MaxPool 2×2 → conv_c (6→4, 1×1, group 2) → Relu → Flatten → fc (Gemm, transB, [5, 36])
    /// → Relu → head (MatMul [5, 3]) → Add → y. With `relu6`, the Clip is Clip(0, 6).
    static func graph(relu6: Bool = false) -> Graph {
        // Uneven channel ranges (factors 0.1…4), which equalization evens out.
        let spread = { (values: [Float], rows: Int) -> [Float] in
            let perRow = values.count / rows
            return values.enumerated().map { $0.element * (0.1 + 4 * Float(($0.offset / perRow) % 5) / 4) }
        }
        let initializers: [String: Tensor] = [
            "wa": Tensor(shape: [6, 3, 3, 3], storage: spread(values(162, 31), 6)),
            "ba": Tensor(shape: [6], storage: values(6, 32)),
            "wdw": Tensor(shape: [6, 1, 3, 3], storage: spread(values(54, 33), 6)),
            "bdw": Tensor(shape: [6], storage: values(6, 34)),
            "wc": Tensor(shape: [4, 3, 1, 1], storage: values(12, 35)),
            "bc": Tensor(shape: [4], storage: values(4, 36)),
            "wfc": Tensor(shape: [5, 36], storage: spread(values(180, 37), 5)),
            "bfc": Tensor(shape: [5], storage: values(5, 38)),
            "wh": Tensor(shape: [5, 3], storage: values(15, 39)),
            "bh": Tensor(shape: [3], storage: values(3, 40)),
            "low": Tensor(scalar: 0), "high": Tensor(scalar: 6),
        ]
        let nodes = [
            Node(
                name: "conv_a", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "wa", "ba"], outputs: ["a"]
            ),
            Node(name: "relu_a", op: .relu, inputs: ["a"], outputs: ["ra"]),
            Node(
                name: "dw", op: .conv(ConvAttributes(pads: [1, 1, 1, 1], group: 6)), inputs: ["ra", "wdw", "bdw"],
                outputs: ["d"]),
            Node(
                name: "clip", op: .clip(min: nil, max: nil), inputs: ["d", "low"] + (relu6 ? ["high"] : []),
                outputs: ["cd"]),
            Node(
                name: "pool", op: .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2])), inputs: ["cd"],
                outputs: ["p"]),
            Node(name: "conv_c", op: .conv(ConvAttributes(group: 2)), inputs: ["p", "wc", "bc"], outputs: ["c"]),
            Node(name: "relu_c", op: .relu, inputs: ["c"], outputs: ["rc"]),
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["rc"], outputs: ["f"]),
            Node(name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["f", "wfc", "bfc"], outputs: ["g"]),
            Node(name: "relu_g", op: .relu, inputs: ["g"], outputs: ["rg"]),
            Node(name: "head", op: .matMul, inputs: ["rg", "wh"], outputs: ["m"]),
            Node(name: "head_bias", op: .add, inputs: ["m", "bh"], outputs: ["y"]),
        ]
        return Graph(
            name: "equalization", inputs: [ValueInfo(name: "x", shape: [nil, 3, 6, 6])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3])], initializers: initializers, nodes: nodes)
    }

    static func data(_ count: Int, seed: UInt64) throws -> Dataset {
        let images = Tensor(shape: [count, 3, 6, 6], storage: values(count * 108, seed).map { $0 * 3 })
        return try Dataset(name: "data", images: images, labels: (0..<count).map { $0 % 3 }, classCount: 3)
    }

    static func workbench(relu6: Bool = false) throws -> Workbench {
        try Workbench(graph: graph(relu6: relu6), heldOut: try data(10, seed: 41), calibration: try data(17, seed: 42))
    }

    static func equalized(_ base: LayerSettings = .float, layers: [String]) -> QuantPlan {
        var on = base
        on.equalize = true
        return QuantPlan(defaults: base, layers: Dictionary(uniqueKeysWithValues: layers.map { ($0, on) }))
    }

    static let chain = ["conv_a", "dw", "conv_c", "fc"]

    /// The largest relative difference of two runs' outputs.
    static func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
    }

    @Test func onePairMatchesPlainLoops() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.equalized(layers: ["conv_a"]))
        let graph = workbench.graph
        let (wa, ba, wdw) = try (
            #require(graph.initializers["wa"]), #require(graph.initializers["ba"]), #require(graph.initializers["wdw"])
        )
        for i in 0..<6 {
            var r1: Float = 0
            for j in 0..<27 { r1 = max(r1, abs(wa.storage[i * 27 + j])) }
            var r2: Float = 0  // depthwise: input channel i feeds output i only
            for j in 0..<9 { r2 = max(r2, abs(wdw.storage[i * 9 + j])) }
            let s = (r1 * r2).squareRoot() / r2
            #expect(s != 1)
            for j in 0..<27 {
                let engine = try #require(model.weightOverrides["wa"]).storage[i * 27 + j]
                #expect(abs(engine - wa.storage[i * 27 + j] / s) <= 1e-6 * max(1, abs(engine)))
            }
            #expect(abs(try #require(model.weightOverrides["ba"]).storage[i] - ba.storage[i] / s) <= 1e-6)
            for j in 0..<9 {
                let engine = try #require(model.weightOverrides["wdw"]).storage[i * 9 + j]
                #expect(abs(engine - wdw.storage[i * 9 + j] * s) <= 1e-6 * max(1, abs(engine)))
            }
        }
        #expect(model.weightOverrides.keys.sorted() == ["ba", "wa", "wdw"])
    }

    @Test func flattenPairScalesContiguousBlocksLikePlainLoops() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.equalized(layers: ["conv_c"]))
        let (wc, wfc) = try (
            #require(workbench.graph.initializers["wc"]), #require(workbench.graph.initializers["wfc"])
        )
        for c in 0..<4 {
            let r1 = (0..<3).map { abs(wc.storage[c * 3 + $0]) }.max() ?? 0
            var r2: Float = 0  // channel c is Gemm inputs c·9 ..< (c+1)·9 (3×3 after pooling)
            for row in 0..<5 { for k in (c * 9)..<(c * 9 + 9) { r2 = max(r2, abs(wfc.storage[row * 36 + k])) } }
            let s = (r1 * r2).squareRoot() / r2
            for row in 0..<5 {
                for k in (c * 9)..<(c * 9 + 9) {
                    let engine = try #require(model.weightOverrides["wfc"]).storage[row * 36 + k]
                    #expect(abs(engine - wfc.storage[row * 36 + k] * s) <= 1e-6 * max(1, abs(engine)))
                }
            }
        }
    }

    @Test func chainsConvergeAndTheFloatModelIsUnchanged() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.equalized(layers: Self.chain))
        let equalization = try #require(try workbench.equalization(for: model.plan))
        #expect(equalization.sweeps > 1 && equalization.sweeps < CrossLayerEqualization.maximumSweeps)
        // Converged: every pair's two ranges agree per channel.
        for name in Self.chain {
            let layer = try #require(workbench.layer(named: name))
            let pair = try workbench.equalizationPair(for: layer).get()
            let first = try #require(EqualizationLayout(pair.first, in: workbench.graph))
            let second = try #require(EqualizationLayout(pair.second, in: workbench.graph))
            let r1 = CrossLayerEqualization.outputRanges(
                try #require(model.weightOverrides[pair.first.weightName]), layout: first)
            let r2 = CrossLayerEqualization.inputRanges(
                try #require(model.weightOverrides[pair.second.weightName]), layout: second,
                channels: first.outputCount, block: pair.block)
            for (a, b) in zip(r1, r2) { #expect(abs(a - b) <= 1e-3 * max(a, b), "\(name): \(r1) vs \(r2)") }
        }
        let x = try workbench.heldOut.images
        let float = try #require(try workbench.executor.run(["x": x])["y"])
        let run = try #require(try workbench.executor.run(["x": x], weightOverrides: model.weightOverrides)["y"])
        #expect(Self.largestDifference(run, float) <= 1e-5)
        #expect(model.weightOverrides["wfc"] != workbench.graph.initializers["wfc"])
    }

    @Test(arguments: [BundledModel.mlp, .cnn]) func demoModelsComputeTheSameAfterEqualization(
        model: BundledModel
    ) throws {
        let workbench = try WorkbenchTests.workbench(model)
        let plan = workbench.withEqualization(QuantPlan())
        let flagged = workbench.layers.filter { plan.settings(for: $0.name).equalize }.map(\.name)
        #expect(flagged == workbench.layers.dropLast().map(\.name))  // every layer but the last
        let equalized = try workbench.apply(plan)
        let x = try workbench.heldOut.images(in: 0..<200)
        let float = try workbench.logits(for: x)
        #expect(Self.largestDifference(try workbench.logits(for: x, model: equalized), float) <= 1e-4)
        #expect(workbench.layers.allSatisfy { equalized.weightOverrides[$0.weightName] != nil })
    }

    @Test func quantizationAndBiasCorrectionApplyToTheEqualizedWeights() throws {
        let workbench = try Self.workbench()
        let settings = LayerSettings(bitWidth: 3, scheme: .asymmetric, granularity: .tensor)
        let model = try workbench.apply(Self.equalized(settings, layers: ["conv_a"]))
        let float = try workbench.apply(Self.equalized(layers: ["conv_a"]))
        let dw = try #require(workbench.layer(named: "dw"))
        let expected = try Workbench.quantize(
            dw, weights: try #require(float.weightOverrides["wdw"]), settings: settings)
        #expect(model.weightOverrides["wdw"] == expected.quantized?.tensor)
        #expect(model.report(for: "dw")?.floatWeights == float.weightOverrides["wdw"])
        #expect(
            model.weightOverrides["wdw"] != (try workbench.apply(QuantPlan(defaults: settings))).weightOverrides["wdw"])

        // Bias correction of dw after equalization: its mean output over the calibration set is
        // the (equalized) float model's again.
        var corrected = settings
        corrected.biasCorrection = true
        var plan = Self.equalized(layers: ["conv_a"])
        plan.layers["dw"] = corrected
        let fixed = try workbench.apply(plan)
        plan.layers["dw"] = settings
        let unfixed = try workbench.apply(plan)
        let calibration = try #require(workbench.calibration).images
        func output(_ model: QuantizedModel?) throws -> Tensor {
            try #require(
                try workbench.executor.run(
                    ["x": calibration], weightOverrides: model?.weightOverrides ?? [:], keeping: ["d"])["d"])
        }
        let reference = try output(float)
        #expect(Self.largestDifference(try output(nil), reference) <= 1e-5)  // dw's output is unchanged
        let shift = BiasCorrectionTests.channelMeans(try output(fixed), reference, channelAxis: 1)
        #expect(shift.allSatisfy { abs($0) < 1e-4 }, "\(shift)")
        #expect(
            BiasCorrectionTests.channelMeans(try output(unfixed), reference, channelAxis: 1).contains { abs($0) > 1e-3 }
        )
    }

    @Test func layersThatCannotBeEqualizedAreRefusedByName() throws {
        let relu6 = try Self.workbench(relu6: true)
        let error = #expect(throws: PlanError.self) { try relu6.apply(Self.equalized(layers: ["dw"])) }
        #expect(
            error?.description.hasPrefix(
                "layers.dw.equalize: cannot equalize with the next layer: 'clip' (Clip) clips to [0.0, 6.0]") == true,
            "\(String(describing: error))")
        #expect(relu6.equalizationProblem(for: try #require(relu6.layer(named: "conv_a"))) == nil)

        let workbench = try Self.workbench()
        let last = #expect(throws: PlanError.self) { try workbench.apply(Self.equalized(layers: ["head"])) }
        #expect(last?.description == "layers.head.equalize: cannot equalize with the next layer: no layer follows it")
        var withActivations = Self.equalized(layers: ["fc"])
        withActivations.layers["fc"]?.activationBits = 8
        let activations = #expect(throws: PlanError.self) { try workbench.apply(withActivations) }
        #expect(activations?.description.contains("layers.fc.equalize: cannot equalize a layer whose output") == true)
        let activationsOnly = QuantPlan(layers: ["fc": LayerSettings(activationBits: 8)])
        #expect(!workbench.withEqualization(activationsOnly).settings(for: "fc").equalize)
        #expect(
            workbench.withEqualization(QuantPlan()).layers.filter(\.value.equalize).keys.sorted() == Self.chain.sorted()
        )
    }

    @Test func theQDQExportCarriesTheEqualizedQuantizedWeights() throws {
        let workbench = try Self.workbench()
        var plan = Self.equalized(
            LayerSettings(bitWidth: 4, scheme: .symmetric, granularity: .tensor), layers: Self.chain)
        plan.layers["head"] = .float  // a float layer's weights are equalized too
        let model = try workbench.apply(plan)
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let reread = try ONNXModel.decode(try ONNXModel.encode(qdq), source: "qdq.onnx")
        #expect(reread.initializers["wh"] == model.weightOverrides["wh"])
        #expect(reread.initializers["wh"] != workbench.graph.initializers["wh"])
        for name in ["ba", "bdw", "bc", "bfc"] { #expect(reread.initializers[name] == model.weightOverrides[name]) }
        let x = try workbench.heldOut.images
        let expected = try workbench.logits(for: x, model: model)
        let logits = try #require(try GraphExecutor(graph: reread).run(["x": x])["y"])
        #expect(Self.largestDifference(logits, expected) <= 1e-5)
        let embedded = try #require(reread.metadata[QDQExporter.planKey])
        #expect(try QuantPlan.decoded(from: Data(embedded.utf8), file: "embedded").layers["dw"]?.equalize == true)
    }

    /// A long chain (Gemm → Gemm with nothing between: the identity is positively homogeneous) is
    /// paired and swept in time linear in its length, and still computes the same function.
    @Test(.timeLimit(.minutes(2))) func aLongChainIsEqualizedInLinearTime() throws {
        func seconds(_ count: Int) throws -> Double {
            let graph = try ONNXModel.decode(ChainScalingTests.chain(count), source: "chain.onnx")
            let images = Tensor(shape: [16, 8], storage: (0..<128).map { Float($0 % 13) / 13 })
            let data = try Dataset(name: "chain", images: images, labels: (0..<16).map { $0 % 8 }, classCount: 8)
            let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
            let start = Date()
            let plan = workbench.withEqualization(QuantPlan())
            #expect(workbench.layers.filter { plan.settings(for: $0.name).equalize }.count == count - 1)
            let model = try workbench.apply(plan)
            let elapsed = Date().timeIntervalSince(start)
            let float = try workbench.logits(for: images)
            #expect(Self.largestDifference(try workbench.logits(for: images, model: model), float) <= 1e-3)
            return elapsed
        }
        _ = try seconds(50)  // warm up
        let small = try seconds(500)
        let large = try seconds(2000)
        #expect(large / max(small, 0.01) < 8, "500 layers \(small) s, 2000 layers \(large) s")  // quadratic: 16
    }

    @Test func planFilesReadAndWriteTheOptionStrictly() throws {
        let json = #"{ "version": 1, "default": { "bits": 4 }, "layers": { "fc1": { "equalize": true } } }"#
        let plan = try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
        #expect(plan.layers["fc1"]?.equalize == true && !plan.defaults.equalize)
        #expect(String(decoding: try plan.encoded(), as: UTF8.self).components(separatedBy: "equalize").count == 2)
        #expect(try QuantPlan.decoded(from: try plan.encoded(), file: "again.json") == plan)
        #expect(plan.layers["fc1"]?.bitWidthLabelWithCorrections == "4+eq")
        for value in ["1", #""yes""#, "null"] {
            let bad = #"{ "version": 1, "layers": { "fc1": { "equalize": \#(value) } } }"#
            let error = #expect(throws: PlanError.self) { try QuantPlan.decoded(from: Data(bad.utf8), file: "p.json") }
            #expect(
                error?.description.hasPrefix("p.json: layers.fc1.equalize: expected true or false") == true,
                "\(String(describing: error))")
        }
    }
}

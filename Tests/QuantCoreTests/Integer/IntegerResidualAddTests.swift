import CKernels
import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// A residual Add of two differently quantized activations (issue 18): which values a plan
/// quantizes (`ActivationSites`), the requantized Add kernel against its reference and hand
/// computation, and the trained residual CNN of `Scripts/make_finetune_fixture.py` (its
/// BatchNormalizations folded) lowered to integers against its fake-quantized model.
@Suite struct IntegerResidualAddTests {
    /// The fixture with its BatchNormalizations folded into the Convs before them, as a
    /// PyTorch export in eval mode writes a ResNet: stem → a; depthwise → pointwise → Add(c3, a)
    /// → Relu → down → Relu → GlobalAveragePool → Flatten → Gemm.
    static func residualGraph() throws -> Graph {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/finetune-residual.onnx")
        let graph = try ONNXModel.load(contentsOf: url).foldingBatchNormalization()
        #expect(!graph.nodes.contains { if case .batchNormalization = $0.op { true } else { false } })
        return graph
    }

    static func workbench(heldOut: Int = 200) throws -> Workbench {
        try Workbench(
            graph: try residualGraph(), heldOut: try DemoData.heldOutSet().evenlySpaced(heldOut),
            calibration: try DemoData.trainingSet().evenlySpaced(256))
    }

    @Test func anAddOfTwoQuantizedOperandsIsQuantizedWithTheLargerBitsAndTheFirstOperandsCalibration() throws {
        let graph = try Self.residualGraph()
        let layers = graph.layers
        let all = ActivationSites.sites(graph: graph, layers: layers) { _ in LayerSettings(activationBits: 8) }
        // Every layer output (stem and depthwise write their folded BatchNormalizations' names),
        // the Add (its operands are pointwise's output and stem's through its Relu), and the
        // GlobalAveragePool, on the grid of down's output, which it reads through a Relu.
        #expect(all.map(\.value) == ["n1", "n2", "c3", "s", "c4", "g", "logits"])
        #expect(all.map(\.source) == [nil, nil, nil, nil, nil, "c4", nil])
        #expect(ActivationSites.candidates(graph: graph, layers: layers) == ["n1", "n2", "c3", "s", "c4", "logits"])
        let mixed = ActivationSites.sites(graph: graph, layers: layers) { layer in
            switch layer.name {
            case "pointwise": LayerSettings(activationBits: 6, calibration: .percentile)
            case "stem": LayerSettings(activationBits: 8, calibration: .mse)
            default: LayerSettings()
            }
        }
        #expect(mixed.map(\.value) == ["n1", "c3", "s"])
        let add = try #require(mixed.last)
        #expect(add.bitWidth == 8 && add.calibration == .percentile && graph.nodes[add.nodeIndex].name == "residual")
        // One operand float (stem's activations float): the Add stays float.
        let oneFloat = ActivationSites.sites(graph: graph, layers: layers) { layer in
            layer.name == "stem" ? LayerSettings() : LayerSettings(activationBits: 8)
        }
        #expect(!oneFloat.map(\.value).contains("s"))
    }

    /// x → Conv a → Clip(0, 6) → AveragePool → GlobalAveragePool → Conv b: the Clip's and the
    /// global pool's outputs take a's grid (no statistics of their own); the windowed AveragePool
    /// passes it on unquantized (as MaxPool and Relu would).
    @Test func aClipAndAGlobalAveragePoolOfAQuantizedValueTakeItsGrid() throws {
        let conv = Operator.conv(ConvAttributes(kernelShape: [1, 1]))
        let weight = Tensor(shape: [2, 2, 1, 1], storage: [1, 0, 0, 1])
        let graph = Graph(
            name: "clip", inputs: [ValueInfo(name: "x", shape: [nil, 2, 4, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 2, 1, 1])], initializers: ["a.w": weight, "b.w": weight],
            nodes: [
                Node(name: "a", op: conv, inputs: ["x", "a.w"], outputs: ["a"]),
                Node(name: "relu6", op: .clip(min: 0, max: 6), inputs: ["a"], outputs: ["c"]),
                Node(
                    name: "pool", op: .averagePool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2])),
                    inputs: ["c"], outputs: ["p"]),
                Node(name: "global", op: .globalAveragePool, inputs: ["p"], outputs: ["g"]),
                Node(name: "b", op: conv, inputs: ["g", "b.w"], outputs: ["y"]),
            ])
        let sites = ActivationSites.sites(graph: graph, layers: graph.layers) { _ in LayerSettings(activationBits: 8) }
        #expect(sites.map(\.value) == ["a", "c", "g", "y"])
        #expect(sites.map(\.source) == [nil, "a", "c", nil])
        #expect(ActivationSites.candidates(graph: graph, layers: graph.layers) == ["a", "y"])
    }

    @Test func applyCalibratesTheAddOutputAndTheDemoModelsKeepOnlyLayerOutputs() throws {
        let workbench = try Self.workbench(heldOut: 50)
        let quantized = try workbench.apply(IntegerLoweringTests.int8Plan)
        let sum = try #require(quantized.activationQuantization["s"])
        #expect(sum.bitWidth == 8)
        for model in [BundledModel.mlp, .cnn] {
            let demo = try IntegerLoweringTests.workbench(model, heldOut: 20)
            let applied = try demo.apply(IntegerLoweringTests.int8Plan)
            let outputs = demo.layers.map { demo.graph.nodes[$0.nodeIndex].outputs[0] }
            #expect(Set(applied.activationQuantization.keys) == Set(outputs))
        }
    }

    static func add(
        _ a: ActivationQuantization, _ b: ActivationQuantization, _ y: ActivationQuantization,
        clamp: ClosedRange<Int32>? = nil
    ) -> IntegerAdd {
        IntegerAdd(
            first: "a", second: "b", output: "y", firstQuantization: a, secondQuantization: b, outputQuantization: y,
            clamp: clamp ?? y.codeRange)
    }

    @Test func requantizedAddRoundsHalfToEvenAndSaturates() throws {
        let tenth = try ActivationQuantization(scale: 0.1, bitWidth: 8, isSigned: true)
        let fifth = try ActivationQuantization(scale: 0.2, bitWidth: 8, isSigned: true)
        let step = Self.add(tenth, fifth, fifth)
        // 3 · 0.5 + 4 · 1 = 5.5 → 6; 1 · 0.5 + 0 = 0.5 → 0; −3 · 0.5 + 0 = −1.5 → −2.
        #expect(IntegerKernels.requantizedAdd(3, 4, step, ratios: step.ratios) == 6)
        #expect(IntegerKernels.requantizedAdd(1, 0, step, ratios: step.ratios) == 0)
        #expect(IntegerKernels.requantizedAdd(-3, 0, step, ratios: step.ratios) == -2)
        #expect(IntegerKernels.requantizedAdd(127, 127, step, ratios: step.ratios) == 127)
        // Unsigned operands (zero point 3) into an unsigned output with a folded ReLU.
        let u = try ActivationQuantization(scale: 0.1, zeroPoint: 3, bitWidth: 8, isSigned: false)
        let relu = Self.add(u, u, u, clamp: 3...255)
        #expect(IntegerKernels.requantizedAdd(5, 7, relu, ratios: relu.ratios) == 9)  // 2 + 4 + 3
        #expect(IntegerKernels.requantizedAdd(0, 1, relu, ratios: relu.ratios) == 3)  // −5 → ReLU
    }

    /// onnxruntime's QLinearAdd on x86 folds the zero points into one constant and runs two fused
    /// multiply-adds; where the exact sum is a tie, that and the plain `(a − z_a) · r_a + (b − z_b)
    /// · r_b` round apart. torchvision's MobileNetV2 (seed 0, percentile ranges) has one such code
    /// at its features.12 Add: 94 and 182 (zero points 128) → 141.5 → 142, as onnxruntime gives
    /// (the old formula gave 141, and the difference grew to 6 steps at the logits).
    @Test func requantizedAddFollowsOnnxruntimesFusedMultiplyAdds() throws {
        let a = try ActivationQuantization(scale: 0.034772083163261414, zeroPoint: 128, bitWidth: 8, isSigned: false)
        let b = try ActivationQuantization(scale: 0.03403453156352043, zeroPoint: 128, bitWidth: 8, isSigned: false)
        let y = try ActivationQuantization(scale: 0.04856403172016144, zeroPoint: 128, bitWidth: 8, isSigned: false)
        let step = Self.add(a, b, y)
        let (ra, rb) = step.ratios
        let plain = (Float(94 - 128) * ra + Float(182 - 128) * rb).rounded(.toNearestOrEven) + 128
        #expect(plain == 141)  // what the unfused form gives
        #expect(IntegerKernels.requantizedAdd(94, 182, step, ratios: step.ratios) == 142)
        let x = IntegerTensor(shape: [1, 1], codes: [94], quantization: a)
        let z = IntegerTensor(shape: [1, 1], codes: [182], quantization: b)
        #expect(try IntegerKernels.add(step, x, z, variant: .best).codes == [142])
        // The same values as signed codes (zero points 0): onnxruntime adds them as uint8 (code +
        // 128), so the tie rounds as above — 14, where the codes as they are would give 13.
        func signed(_ q: ActivationQuantization) throws -> ActivationQuantization {
            try ActivationQuantization(scale: q.scale, zeroPoint: 0, bitWidth: 8, isSigned: true)
        }
        let signedStep = Self.add(try signed(a), try signed(b), try signed(y))
        #expect(signedStep.unsignedOffsets == (128, 128, 128))
        #expect(IntegerKernels.requantizedAdd(-34, 54, signedStep, ratios: signedStep.ratios) == 14)
        let sx = IntegerTensor(shape: [1, 1], codes: [-34], quantization: signedStep.firstQuantization)
        let sz = IntegerTensor(shape: [1, 1], codes: [54], quantization: signedStep.secondQuantization)
        #expect(try IntegerKernels.add(signedStep, sx, sz, variant: .best).codes == [14])
    }

    @Test func ckQaddGivesTheReferenceBitsForEveryQuantization() throws {
        var random = SplitMix64(seed: 18)
        let cases: [IntegerAdd] = [
            Self.add(
                try ActivationQuantization(scale: 0.031, zeroPoint: 0, bitWidth: 8, isSigned: false),
                try ActivationQuantization(scale: 0.0173, bitWidth: 8, isSigned: true),
                try ActivationQuantization(scale: 0.047, bitWidth: 8, isSigned: true)),
            Self.add(
                try ActivationQuantization(scale: 0.05, zeroPoint: 17, bitWidth: 8, isSigned: false),
                try ActivationQuantization(scale: 0.02, zeroPoint: 200, bitWidth: 8, isSigned: false),
                try ActivationQuantization(scale: 0.03, zeroPoint: 90, bitWidth: 8, isSigned: false), clamp: 90...255),
            Self.add(  // one scale: ck_qadd's integer path
                try ActivationQuantization(scale: 0.25, bitWidth: 8, isSigned: true),
                try ActivationQuantization(scale: 0.25, bitWidth: 8, isSigned: true),
                try ActivationQuantization(scale: 0.25, bitWidth: 8, isSigned: true), clamp: 0...127),
            Self.add(  // a small output scale: most sums saturate
                try ActivationQuantization(scale: 0.5, bitWidth: 8, isSigned: true),
                try ActivationQuantization(scale: 0.3, bitWidth: 8, isSigned: true),
                try ActivationQuantization(scale: 0.01, bitWidth: 8, isSigned: true)),
        ]
        for step in cases {
            let count = 1037  // no multiple of any vector width
            func codes(_ q: ActivationQuantization) -> [Int16] {
                let range = q.codeRange
                let span = UInt64(range.upperBound - range.lowerBound + 1)
                return (0..<count).map { _ in Int16(Int64(range.lowerBound) + Int64(random.next() % span)) }
            }
            let a = IntegerTensor(
                shape: [1, count], codes: codes(step.firstQuantization), quantization: step.firstQuantization)
            let b = IntegerTensor(
                shape: [1, count], codes: codes(step.secondQuantization), quantization: step.secondQuantization)
            let reference = try IntegerKernels.add(step, a, b, variant: .reference)
            let fast = try IntegerKernels.add(step, a, b, variant: .best)
            #expect(fast == reference)
            #expect(reference.codes.allSatisfy { step.clamp.contains(Int32($0)) })
            // What the fake-quantized model computes from the same codes — the float sum of the
            // dequantized operands, quantized — differs from the integer Add only where float
            // rounding moves a tie: by one code at most.
            var fake = Tensor(shape: a.shape, storage: zip(a.dequantized().storage, b.dequantized().storage).map(+))
            ActivationQuantizer.fakeQuantize(&fake, with: step.outputQuantization)
            let y = step.outputQuantization
            let fakeCodes = fake.storage.map {
                min(max(Int32(($0 / y.scale).rounded()) + y.zeroPoint, step.clamp.lowerBound), step.clamp.upperBound)
            }
            let moved = zip(fakeCodes, reference.codes).filter { $0 != Int32($1) }
            #expect(moved.allSatisfy { abs($0.0 - Int32($0.1)) <= 1 })
            #expect(moved.count <= count / 100)
            // The exact sum, rounded once: within half a step plus float rounding of the reference.
            let ratios = step.ratios
            for index in 0..<count {
                let exact =
                    Double(Int32(a.codes[index]) - step.firstQuantization.zeroPoint) * Double(ratios.first)
                    + Double(Int32(b.codes[index]) - step.secondQuantization.zeroPoint) * Double(ratios.second)
                let zy = Double(step.outputQuantization.zeroPoint)
                let bounded = min(max(exact + zy, Double(step.clamp.lowerBound)), Double(step.clamp.upperBound))
                #expect(abs(Double(reference.codes[index]) - bounded) <= 0.5 + 1e-4)
            }
        }
    }

    @Test func residualCNNLowersItsAddOfTwoScalesAndAgreesWithTheFakeQuantizedModel() throws {
        let workbench = try Self.workbench()
        let (quantized, integer) = try workbench.integerModel(for: IntegerLoweringTests.int8Plan)
        let adds = integer.steps.compactMap { if case .requantizedAdd(let add) = $0 { add } else { nil } }
        let add = try #require(adds.first)
        #expect(adds.count == 1)
        #expect(add.firstQuantization.scale != add.secondQuantization.scale)  // the case refused before
        #expect(add.outputQuantization == quantized.activationQuantization["s"])
        // The Relu after it is folded into its clamp (it writes the Relu's output).
        #expect(add.output == "r3" && add.clamp.lowerBound == add.outputQuantization.zeroPoint)
        #expect(!integer.steps.contains { if case .clamp = $0 { true } else { false } })
        var reference = integer
        reference.variant = .reference
        let images = try workbench.heldOut.images(in: 0..<32)
        #expect(try reference.outputCodes(images) == integer.outputCodes(images))
        let result = try workbench.evaluateInteger(integer, quantized: quantized)
        #expect(result.count == 200)
        // Float and integer sums round apart by up to 2 steps already before the Add (the
        // depthwise and pointwise layers, as in any int8 model); measured: at most 3 steps at the
        // logits and no more than 2 of 200 predictions differ. (With the GlobalAveragePool left
        // float in the fake-quantized model, 9 differed and logits reached 5 steps.)
        #expect(result.differingPredictions <= 2)
        #expect(result.maxOutputSteps <= 4)
        #expect(abs(result.top1 - result.fakeQuantizedTop1) <= 0.01)
    }
}

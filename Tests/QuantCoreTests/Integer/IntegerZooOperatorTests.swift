import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The operators the model zoo's classic CNNs add to the integer model (Concat of equal and of
/// unequal scales, Dropout and Identity passed through, GlobalAveragePool, a final Softmax left
/// float) against the fake-quantized float model, and refusals decided before calibration.
@Suite struct IntegerZooOperatorTests {
    static let int8Plan = IntegerLoweringTests.int8Plan

    /// `count` random tensors of `[3, 6, 6]` on the grid the integer model quantizes its input
    /// to (codes in −127…127 times 1/32, one of them 127: the calibrated input scale is exactly
    /// 1/32), so the integer and fake-quantized models read the same input; labelled over `classes`.
    static func data(count: Int, seed: UInt64, classes: Int = 4) throws -> Dataset {
        var random = SplitMix64(seed: seed)
        var values = (0..<(count * 108)).map { _ in Float(Int(random.next() % 255) - 127) / 32 }
        values[0] = Float(127) / 32
        let images = Tensor(shape: [count, 3, 6, 6], storage: values)
        return try Dataset(
            name: "random", images: images, labels: (0..<count).map { $0 % classes }, classCount: classes)
    }

    /// Random Conv weights `[out, 3, k, k]` times `gain`, seeded.
    static func weights(out: Int, kernel: Int, gain: Float, seed: UInt64) -> Tensor {
        var random = SplitMix64(seed: seed)
        let count = out * 3 * kernel * kernel
        return Tensor(shape: [out, 3, kernel, kernel], storage: (0..<count).map { _ in gain * random.nextGaussian() })
    }

    /// x `[N, 3, 6, 6]` → Conv a (3×3, ReLU) and Conv b (3×3) → Concat on channels → Dropout →
    /// Identity → y `[N, 8, 6, 6]`. Conv b's weights are `bGain` × Conv a's: with a gain of 1
    /// both outputs calibrate to one scale, with another gain to two.
    static func branches(bGain: Float) -> Graph {
        let a = weights(out: 4, kernel: 3, gain: 0.3, seed: 3)
        let b = Tensor(shape: a.shape, storage: a.storage.map { $0 * bGain })
        let conv = Operator.conv(ConvAttributes(kernelShape: [3, 3], pads: [1, 1, 1, 1]))
        return Graph(
            name: "branches", inputs: [ValueInfo(name: "x", shape: [nil, 3, 6, 6])],
            outputs: [ValueInfo(name: "y", shape: [nil, 8, 6, 6])], initializers: ["a.weight": a, "b.weight": b],
            nodes: [
                Node(name: "a", op: conv, inputs: ["x", "a.weight"], outputs: ["a.out"]),
                Node(name: "a.relu", op: .relu, inputs: ["a.out"], outputs: ["a.relu"]),
                Node(name: "b", op: conv, inputs: ["x", "b.weight"], outputs: ["b.out"]),
                Node(name: "cat", op: .concat(axis: 1), inputs: ["a.relu", "b.out"], outputs: ["cat"]),
                Node(name: "drop", op: .dropout, inputs: ["cat"], outputs: ["drop"]),
                Node(name: "id", op: .identity, inputs: ["drop"], outputs: ["y"]),
            ])
    }

    /// The integer model of `graph` and its output beside the fake-quantized model's, in steps
    /// of the integer output's scale: the largest difference and how many values differ.
    static func compare(_ graph: Graph) throws -> (IntegerModel, maxSteps: Float, differing: Int) {
        let workbench = try Workbench(
            graph: graph, heldOut: try data(count: 16, seed: 5), calibration: try data(count: 64, seed: 9))
        let (quantized, integer) = try workbench.integerModel(for: int8Plan)
        let images = try workbench.heldOut.images
        let codes = try integer.outputCodes(images)
        let fake = try #require(
            try GraphExecutor(graph: graph).run(
                ["x": images], weightOverrides: quantized.weightOverrides,
                activationQuantization: quantized.activationQuantization, keeping: [integer.outputName])[
                    integer.outputName])
        let ours = codes.dequantized()
        #expect(ours.shape == fake.shape)
        let steps = zip(ours.storage, fake.storage).map { abs($0 - $1) / codes.quantization.scale }
        return (integer, steps.max() ?? 0, steps.filter { $0 > 1e-3 }.count)
    }

    /// PyTorch writes ReLU6 as Clip reading two Constant nodes (opset ≥ 11): the bounds are read
    /// from them, the clamp folds into the Conv before it, and the Constants add no step. (The
    /// upper bound, 100, is beyond every code: it needs no grid point.)
    @Test func aClipWithConstantNodeBoundsFoldsIntoTheConv() throws {
        let conv = Operator.conv(ConvAttributes(kernelShape: [3, 3], pads: [1, 1, 1, 1]))
        let graph = Graph(
            name: "relu6", inputs: [ValueInfo(name: "x", shape: [nil, 3, 6, 6])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, 6, 6])],
            initializers: ["a.weight": Self.weights(out: 4, kernel: 3, gain: 0.3, seed: 3)],
            nodes: [
                Node(name: "a", op: conv, inputs: ["x", "a.weight"], outputs: ["a.out"]),
                Node(name: "low", op: .constant(Tensor(shape: [], storage: [0])), inputs: [], outputs: ["low"]),
                Node(name: "high", op: .constant(Tensor(shape: [], storage: [100])), inputs: [], outputs: ["high"]),
                Node(name: "clip", op: .clip(min: nil, max: nil), inputs: ["a.out", "low", "high"], outputs: ["y"]),
            ])
        #expect(
            IntegerLowering.check(
                graph: graph, plan: Self.int8Plan, layers: graph.layers) == nil)
        let (integer, maxSteps, differing) = try Self.compare(graph)
        #expect(integer.steps.count == 1)  // the Conv, its clamp narrowed to [0, 6]
        guard case .linear(let layer) = try #require(integer.steps.first) else {
            Issue.record("the step is \(String(describing: integer.steps.first)), not the Conv")
            return
        }
        #expect(layer.output == "y" && layer.clamp.lowerBound == layer.outputQuantization.zeroPoint)
        #expect(maxSteps <= 1 && differing <= 16 * 4 * 36 / 20)
    }

    @Test func concatOfOneScaleCopiesTheCodesAndDropoutAndIdentityAddNoStep() throws {
        let (integer, maxSteps, differing) = try Self.compare(Self.branches(bGain: 1))
        // a and b compute the same values: one calibrated scale, so the codes are copied.
        #expect(integer.steps.count == 3)
        guard case .concat(let inputs, _, let axis) = try #require(integer.steps.last) else {
            Issue.record("the last step is \(String(describing: integer.steps.last)), not a Concat")
            return
        }
        #expect(inputs == ["a.relu", "b.out"] && axis == 1)
        #expect(integer.outputName == "cat")  // Dropout and Identity pass the Concat's codes on
        // Integer Conv accumulation differs from float only at rounding ties: within one step.
        #expect(maxSteps <= 1)
        #expect(differing * 100 <= 16 * 8 * 36)  // at most 1 % of the codes
    }

    @Test func concatOfTwoScalesRequantizesTheFinerInputToTheWidest() throws {
        let (integer, maxSteps, _) = try Self.compare(Self.branches(bGain: 3))
        let layers = integer.linearLayers
        #expect(layers.count == 2)
        let (a, b) = (layers[0].outputQuantization, layers[1].outputQuantization)
        #expect(a != b)
        // b's outputs are 3× a's, so a signed scale ~3× a's unsigned one... whichever is wider wins.
        let requantized = integer.steps.compactMap {
            if case .requantize(let input, _, let target) = $0 { (input, target) } else { nil }
        }
        #expect(requantized.count == 1)
        guard case .concat(_, _, _) = try #require(integer.steps.last) else {
            Issue.record("no Concat step")
            return
        }
        // Mixed unsigned (after ReLU) and signed inputs: signed 8-bit over the largest magnitude.
        let target = try #require(requantized.first?.1)
        #expect(target.isSigned && target.bitWidth == 8)
        #expect(target.scale >= max(a.scale, b.scale) * 0.999)
        // A requantized code is the fake-quantized value rounded to the output's grid: half a
        // step, plus one step where the integer Conv rounds a tie the other way.
        #expect(maxSteps <= 1.5)
    }

    @Test func requantizationRoundsHalfToEvenOnTheTargetGrid() throws {
        let fine = try ActivationQuantization(scale: 0.1, bitWidth: 8, isSigned: true)
        let coarse = try ActivationQuantization(scale: 0.2, bitWidth: 8, isSigned: true)
        let finer = try ActivationQuantization(scale: 0.05, bitWidth: 8, isSigned: true)
        #expect(IntegerKernels.requantized(5, from: fine, to: coarse) == 2)  // 2.5 → 2
        #expect(IntegerKernels.requantized(7, from: fine, to: coarse) == 4)  // 3.5 → 4
        #expect(IntegerKernels.requantized(-7, from: fine, to: coarse) == -4)
        #expect(IntegerKernels.requantized(100, from: fine, to: finer) == 127)  // saturates
        let unsigned = try ActivationQuantization(scale: 0.1, zeroPoint: 10, bitWidth: 8, isSigned: false)
        #expect(IntegerKernels.requantized(30, from: unsigned, to: coarse) == 10)  // (30 − 10) · 0.5
    }

    @Test func concatAlongAnyAxisInterleavesPerOuterIndex() throws {
        let q = try ActivationQuantization(scale: 1, bitWidth: 8, isSigned: true)
        let a = IntegerTensor(shape: [2, 1, 2], codes: [1, 2, 3, 4], quantization: q)
        let b = IntegerTensor(shape: [2, 2, 2], codes: [5, 6, 7, 8, 9, 10, 11, 12], quantization: q)
        let joined = try IntegerKernels.concat([a, b], axis: 1)
        #expect(joined.shape == [2, 3, 2])
        #expect(joined.codes == [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
        #expect(throws: IntegerLoweringError.self) { try IntegerKernels.concat([a, b], axis: 2) }
    }

    /// x → Conv (ReLU) → `middle` → GlobalAveragePool → Flatten → Gemm (4 classes) → Softmax.
    static func classifier(middle: Operator) -> Graph {
        var random = SplitMix64(seed: 21)
        let fc = Tensor(shape: [4, 5], storage: (0..<20).map { _ in random.nextGaussian() })
        return Graph(
            name: "classifier", inputs: [ValueInfo(name: "x", shape: [nil, 3, 6, 6])],
            outputs: [ValueInfo(name: "prob", shape: [nil, 4])],
            initializers: ["c.weight": weights(out: 5, kernel: 3, gain: 0.3, seed: 4), "fc.weight": fc],
            nodes: [
                Node(
                    name: "c", op: .conv(ConvAttributes(kernelShape: [3, 3], pads: [1, 1, 1, 1])),
                    inputs: ["x", "c.weight"], outputs: ["c"]),
                Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["r"]),
                Node(name: "middle", op: middle, inputs: ["r"], outputs: ["m"]),
                Node(name: "gap", op: .globalAveragePool, inputs: ["m"], outputs: ["g"]),
                Node(name: "flat", op: .flatten(axis: 1), inputs: ["g"], outputs: ["f"]),
                Node(
                    name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["f", "fc.weight"], outputs: ["z"]),
                Node(name: "softmax", op: .softmax(axis: 1), inputs: ["z"], outputs: ["prob"]),
            ])
    }

    @Test func aFinalSoftmaxStaysFloatAndTheIntegerModelEndsAtItsLogits() throws {
        let workbench = try Workbench(
            graph: Self.classifier(middle: .dropout), heldOut: try Self.data(count: 64, seed: 5),
            calibration: try Self.data(count: 64, seed: 9))
        let (quantized, integer) = try workbench.integerModel(for: Self.int8Plan)
        #expect(integer.outputName == "z")
        #expect(integer.inputQuantization.scale == Float(1) / 32)
        #expect(integer.steps.contains { if case .globalAveragePool = $0 { true } else { false } })
        let result = try workbench.evaluateInteger(integer, quantized: quantized)
        #expect(result.count == 64)
        // GlobalAveragePool rounds each mean to the grid where the fake-quantized model keeps it
        // float (at most half a step s_r per feature); the Gemm sums those errors with its
        // weights: at most 0.5 · s_r · max Σ|w| / s_z steps of the logits, plus one for rounding.
        let (conv, fc) = (integer.linearLayers[0], integer.linearLayers[1])
        let weights = try #require(workbench.graph.initializers["fc.weight"]).storage
        var rowSum: Float = 0
        for row in 0..<4 {
            let magnitudes: [Float] = weights[(row * 5)..<((row + 1) * 5)].map { abs($0) }
            rowSum = max(rowSum, magnitudes.reduce(0, +))
        }
        let bound: Float = 0.5 * conv.outputQuantization.scale * rowSum / fc.outputQuantization.scale + 1
        #expect(result.maxOutputSteps <= bound)
        #expect(result.differingPredictions <= 3)
    }

    @Test func anLRNIsRefusedFromTheGraphAloneBeforeAnyCalibration() throws {
        let graph = Self.classifier(middle: .localResponseNormalization(size: 3, alpha: 1e-4, beta: 0.75, bias: 1))
        let workbench = try Workbench(
            graph: graph, heldOut: try Self.data(count: 8, seed: 5), calibration: try Self.data(count: 64, seed: 9))
        let reason = try #require(workbench.integerRefusal(for: Self.int8Plan))
        #expect(reason.contains("'middle'") && reason.contains("LRN") && reason.contains("TFLite"))
        #expect(!reason.contains("\n"))
        #expect(throws: IntegerLoweringError(reason)) { try workbench.integerModel(for: Self.int8Plan) }
        // Nothing was calibrated: the statistics a plan with activations needs are still missing.
        #expect(workbench.needsCalibration(for: Self.int8Plan))
        // A plan refused for its settings is refused the same way.
        let fourBit = QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .symmetric, activationBits: 8))
        let supported = try Workbench(
            graph: Self.classifier(middle: .identity), heldOut: try Self.data(count: 8, seed: 5),
            calibration: try Self.data(count: 64, seed: 9))
        #expect(supported.integerRefusal(for: Self.int8Plan) == nil)
        #expect(supported.integerRefusal(for: fourBit)?.contains("4-bit weights") == true)
        #expect(throws: IntegerLoweringError.self) { try supported.integerModel(for: fourBit) }
        #expect(supported.needsCalibration(for: fourBit))
    }
}

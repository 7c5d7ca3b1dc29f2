import Foundation
import Testing

@testable import QuantCore

/// Lowering a quantized demo model to integers: biases and multipliers against hand computation,
/// ReLU folding, refusals, and the integer model against the fake-quantized one.
@Suite struct IntegerLoweringTests {
    static func workbench(_ model: BundledModel, heldOut: Int = 200) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try model.url)
        return try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet().evenlySpaced(heldOut),
            calibration: try DemoData.trainingSet().evenlySpaced(256))
    }

    static let int8Plan = QuantPlan(
        defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel, activationBits: 8))

    @Test func requantizationRoundsHalfToEvenAndClamps() {
        let full: ClosedRange<Int32> = -128...127
        // 20 · 0.125 = 2.5 → 2, 28 · 0.125 = 3.5 → 4, −20 · 0.125 = −2.5 → −2 (ties to even).
        #expect(IntegerKernels.requantize(20, bias: 0, multiplier: 0.125, zeroPoint: 0, clamp: full) == 2)
        #expect(IntegerKernels.requantize(20, bias: 8, multiplier: 0.125, zeroPoint: 0, clamp: full) == 4)
        #expect(IntegerKernels.requantize(-20, bias: 0, multiplier: 0.125, zeroPoint: 0, clamp: full) == -2)
        // (1000 + 24) · 0.125 = 128 → saturates at 127; a folded ReLU keeps codes ≥ the zero point.
        #expect(IntegerKernels.requantize(1000, bias: 24, multiplier: 0.125, zeroPoint: 0, clamp: full) == 127)
        #expect(IntegerKernels.requantize(-40, bias: 0, multiplier: 0.125, zeroPoint: 10, clamp: 10...255) == 10)
        #expect(IntegerKernels.requantize(40, bias: 0, multiplier: 0.125, zeroPoint: 10, clamp: 10...255) == 15)
    }

    @Test func biasIsRoundedHalfToEvenInUnitsOfTheProductOfScales() {
        // s_x · s_w = 0.125 (exact in binary): 0.375 → 3, 0.3125 → 2.5 → 2, 0.4375 → 3.5 → 4.
        #expect(IntegerLowering.quantizedBias(0.375, inputScale: 0.25, weightScale: 0.5) == 3)
        #expect(IntegerLowering.quantizedBias(0.3125, inputScale: 0.25, weightScale: 0.5) == 2)
        #expect(IntegerLowering.quantizedBias(-0.4375, inputScale: 0.25, weightScale: 0.5) == -4)
        #expect(IntegerLowering.quantizedBias(1e30, inputScale: 1e-10, weightScale: 1e-10) == Int32.max)
        #expect(IntegerLowering.quantizedBias(3e9, inputScale: 1, weightScale: 1) == 2_147_483_520)
        #expect(IntegerLowering.multiplier(inputScale: 0.5, weightScale: 0.25, outputScale: 0.0625) == 2)
    }

    /// A layer whose bias saturated int32 is named (eval --integer warns with it); the demo's
    /// lowered layers have none.
    @Test func saturatedBiasesAreNamed() throws {
        let workbench = try Self.workbench(.cnn)
        var (_, model) = try workbench.integerModel(for: Self.int8Plan)
        #expect(model.layersWithSaturatedBias.isEmpty)
        let index = try #require(model.steps.firstIndex { if case .linear = $0 { true } else { false } })
        guard case .linear(var layer) = model.steps[index] else { return }
        layer.bias[0] = IntegerLowering.quantizedBias(5, inputScale: 1e-8, weightScale: 1e-4)
        #expect(layer.bias[0] == IntegerLowering.largestBias)
        model.steps[index] = .linear(layer)
        #expect(model.layersWithSaturatedBias == [layer.layerName])
    }

    @Test func convolutionLayersLowerToHandComputedBiasesAndMultipliers() throws {
        let workbench = try Self.workbench(.cnn)
        let (quantized, model) = try workbench.integerModel(for: Self.int8Plan)
        let input = model.inputQuantization
        #expect(!input.isSigned && input.scale == Float(1) / 255)  // demo pixels lie in [0, 1]
        let layers = model.linearLayers
        #expect(layers.map(\.layerName) == ["conv1", "conv2", "fc1", "fc2"])
        var scaleIn = input.scale
        for layer in layers {
            let report = try #require(quantized.report(for: layer.layerName))
            let weights = try #require(report.quantized)
            let biasName = try #require(report.layer.biasName)
            let bias = try #require(workbench.graph.initializers[biasName]).storage
            let out = try #require(
                quantized.activationQuantization[workbench.graph.nodes[report.layer.nodeIndex].outputs[0]])
            #expect(layer.outputQuantization == out)
            for channel in 0..<layer.outputChannels {
                let product = scaleIn * weights.scales[channel]
                #expect(layer.bias[channel] == Int32((bias[channel] / product).rounded(.toNearestOrEven)))
                #expect(layer.multipliers[channel] == product / out.scale)
            }
            #expect(layer.weights == weights.codes.map { Int8($0) })  // [out, in] already (Conv, transB Gemm)
            scaleIn = out.scale
        }
        // conv1, conv2 and fc1 are followed by ReLU: folded, their codes start at the zero point.
        #expect(layers.prefix(3).allSatisfy { $0.clamp.lowerBound == $0.outputQuantization.zeroPoint })
        #expect(layers[3].clamp == layers[3].outputQuantization.codeRange)
        #expect(!model.steps.contains { if case .clamp = $0 { true } else { false } })
    }

    @Test(arguments: [BundledModel.mlp, .cnn])
    func integerModelAgreesWithTheFakeQuantizedModel(model: BundledModel) throws {
        let workbench = try Self.workbench(model)
        let (quantized, integer) = try workbench.integerModel(for: Self.int8Plan)
        let result = try workbench.evaluateInteger(integer, quantized: quantized)
        #expect(result.count == 200)
        // Integer accumulation differs from float only at rounding boundaries: measured 0 of 1000
        // predictions differ and at most one output step on both demo models.
        #expect(result.differingPredictions <= 2)
        #expect(result.maxOutputSteps <= 2)
        #expect(abs(result.correct - result.fakeQuantizedCorrect) <= 2)
        #expect(result.top1 > 0.9)
    }

    @Test func plansWithoutAnInt8FormAreRefusedInOneLine() throws {
        let workbench = try Self.workbench(.mlp, heldOut: 10)
        let cases: [(LayerSettings, String)] = [
            (LayerSettings(bitWidth: 4, scheme: .symmetric, activationBits: 8), "4-bit weights"),
            (LayerSettings(bitWidth: 8, scheme: .asymmetric, activationBits: 8), "asymmetric scheme"),
            (LayerSettings(bitWidth: 8, scheme: .symmetric), "leaves its output activations float"),
            (LayerSettings(bitWidth: 8, scheme: .symmetric, activationBits: 12), "12-bit activations"),
            (LayerSettings(activationBits: 8), "keeps float weights"),
        ]
        for (settings, reason) in cases {
            #expect {
                try workbench.integerModel(for: QuantPlan(defaults: settings))
            } throws: { error in
                let text = "\(error)"
                return error is IntegerLoweringError && text.contains(reason) && !text.contains("\n")
            }
        }
    }
}

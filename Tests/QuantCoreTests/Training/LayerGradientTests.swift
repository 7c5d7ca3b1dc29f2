import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Finite-difference checks of every layer's backward pass, with the objective `Σ Y ⊙ R`.
@Suite struct LayerGradientTests {
    /// Float central differences on (bi)linear maps are exact up to rounding; 1e-3 leaves ample room.
    static let tolerance = 1e-3

    @Test func dense() {
        let input = GradientCheck.randomTensor([3, 5], seed: 1)  // [B, in]
        let weight = GradientCheck.randomTensor([4, 5], seed: 2)  // [out, in]
        let bias = GradientCheck.randomTensor([4], seed: 3)  // [out]
        let upstream = GradientCheck.randomTensor([3, 4], seed: 4)  // [B, out]
        var weightGradient = Tensor.zeros([4, 5]), biasGradient = Tensor.zeros([4])
        let inputGradient = DenseKernel.backward(
            input: input, weight: weight, outputGradient: upstream, weightGradient: &weightGradient,
            biasGradient: &biasGradient, needsInputGradient: true)
        func objective(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Double {
            GradientCheck.dot(DenseKernel.forward(input: x, weight: w, bias: b), upstream)
        }
        let numericInput = GradientCheck.numericGradient(of: input) { objective($0, weight, bias) }
        let numericWeight = GradientCheck.numericGradient(of: weight) { objective(input, $0, bias) }
        let numericBias = GradientCheck.numericGradient(of: bias) { objective(input, weight, $0) }
        #expect(inputGradient?.shape == [3, 5])
        #expect(GradientCheck.relativeError(inputGradient?.storage ?? [], numericInput) < Self.tolerance)
        #expect(GradientCheck.relativeError(weightGradient.storage, numericWeight) < Self.tolerance)
        #expect(GradientCheck.relativeError(biasGradient.storage, numericBias) < Self.tolerance)
    }

    @Test func denseGradientsAccumulate() {
        let input = GradientCheck.randomTensor([2, 3], seed: 5)
        let weight = GradientCheck.randomTensor([2, 3], seed: 6)
        let upstream = GradientCheck.randomTensor([2, 2], seed: 7)
        var once = Tensor.zeros([2, 3]), onceBias = Tensor.zeros([2])
        var twice = Tensor.zeros([2, 3]), twiceBias = Tensor.zeros([2])
        for _ in 0..<2 {
            _ = DenseKernel.backward(
                input: input, weight: weight, outputGradient: upstream, weightGradient: &twice,
                biasGradient: &twiceBias, needsInputGradient: false)
        }
        let skipped = DenseKernel.backward(
            input: input, weight: weight, outputGradient: upstream, weightGradient: &once, biasGradient: &onceBias,
            needsInputGradient: false)
        #expect(skipped == nil)
        #expect(TestSupport.firstMismatch(twice.storage, once.storage.map { 2 * $0 }) == nil)
        #expect(TestSupport.firstMismatch(twiceBias.storage, onceBias.storage.map { 2 * $0 }) == nil)
    }

    @Test(arguments: [(3, 1), (3, 0), (3, 2), (2, 0), (1, 0)])
    func conv2d(kernelSize: Int, padding: Int) {
        let layer = NetworkLayer.conv2d(inputChannels: 2, outputChannels: 3, kernelSize: kernelSize, padding: padding)
        let sampleShape = [2, 5, 4]
        guard let outputShape = layer.outputShape(for: sampleShape) else {
            Issue.record("conv2d rejected \(sampleShape)")
            return
        }
        let geometry = layer.convolutionGeometry(input: sampleShape)
        let input = GradientCheck.randomTensor([2] + sampleShape, seed: 11)  // [B, C, H, W]
        let weight = GradientCheck.randomTensor([3, 2, kernelSize, kernelSize], seed: 12)  // [M, C, k, k]
        let bias = GradientCheck.randomTensor([3], seed: 13)  // [M]
        let upstream = GradientCheck.randomTensor([2] + outputShape, seed: 14)  // [B, M, oH, oW]
        let (output, columns) = Conv2DKernel.forward(input: input, weight: weight, bias: bias, geometry: geometry)
        #expect(output.shape == [2] + outputShape)
        var weightGradient = Tensor.zeros(weight.shape), biasGradient = Tensor.zeros([3])
        let inputGradient = Conv2DKernel.backward(
            columns: columns, weight: weight, outputGradient: upstream, geometry: geometry,
            weightGradient: &weightGradient, biasGradient: &biasGradient, needsInputGradient: true)
        func objective(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Double {
            GradientCheck.dot(Conv2DKernel.forward(input: x, weight: w, bias: b, geometry: geometry).output, upstream)
        }
        let numericInput = GradientCheck.numericGradient(of: input) { objective($0, weight, bias) }
        let numericWeight = GradientCheck.numericGradient(of: weight) { objective(input, $0, bias) }
        let numericBias = GradientCheck.numericGradient(of: bias) { objective(input, weight, $0) }
        #expect(inputGradient?.shape == input.shape)
        #expect(GradientCheck.relativeError(inputGradient?.storage ?? [], numericInput) < Self.tolerance)
        #expect(GradientCheck.relativeError(weightGradient.storage, numericWeight) < Self.tolerance)
        #expect(GradientCheck.relativeError(biasGradient.storage, numericBias) < Self.tolerance)
    }

    @Test func conv2dMatchesDirectConvolution() {
        // Y[b, m, y, x] = bias[m] + Σ_c,i,j W[m, c, i, j] · X[b, c, y + i − p, x + j − p] (0 outside).
        let layer = NetworkLayer.conv2d(inputChannels: 2, outputChannels: 3)
        let input = GradientCheck.randomTensor([2, 2, 4, 5], seed: 21)
        let weight = GradientCheck.randomTensor([3, 2, 3, 3], seed: 22)
        let bias = GradientCheck.randomTensor([3], seed: 23)
        let geometry = layer.convolutionGeometry(input: [2, 4, 5])
        let output = Conv2DKernel.forward(input: input, weight: weight, bias: bias, geometry: geometry).output
        var expected = Tensor.zeros([2, 3, 4, 5])
        for b in 0..<2 {
            for m in 0..<3 {
                for y in 0..<4 {
                    for x in 0..<5 {
                        var sum = bias[m]
                        for c in 0..<2 {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let (sy, sx) = (y + i - 1, x + j - 1)
                                    if sy >= 0, sy < 4, sx >= 0, sx < 5 {
                                        sum += weight[m, c, i, j] * input[b, c, sy, sx]
                                    }
                                }
                            }
                        }
                        expected[b, m, y, x] = sum
                    }
                }
            }
        }
        #expect(output.shape == expected.shape)
        #expect(GradientCheck.relativeError(output.storage, expected.storage.map(Double.init)) < 1e-6)
    }

    @Test func relu() {
        // Keep every value at least 0.1 away from the kink so ±ε never crosses it.
        var input = GradientCheck.randomTensor([3, 7], seed: 31)
        input.storage = input.storage.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        let upstream = GradientCheck.randomTensor([3, 7], seed: 32)
        let output = ReLUKernel.forward(input: input)
        #expect(output.storage == input.storage.map { max($0, 0) })
        let gradient = ReLUKernel.backward(output: output, outputGradient: upstream)
        let numeric = GradientCheck.numericGradient(of: input) {
            GradientCheck.dot(ReLUKernel.forward(input: $0), upstream)
        }
        #expect(GradientCheck.relativeError(gradient.storage, numeric) < Self.tolerance)
        // At exactly 0 the gradient is 0, as in PyTorch.
        let atZero = ReLUKernel.backward(
            output: Tensor(shape: [1], storage: [0]), outputGradient: Tensor(shape: [1], storage: [1]))
        #expect(atZero.storage == [0])
    }

    @Test func maxPool2d() {
        // Distinct values 0.01 apart (a shuffled ramp) so the maxima never change under ±ε; odd
        // height 5 checks that the last row is dropped (floor).
        let shape = [2, 2, 5, 4]
        var order = Array(0..<Tensor.elementCount(of: shape))
        var generator = SplitMix64(seed: 41)
        Trainer.shuffle(&order, using: &generator)
        let input = Tensor(shape: shape, storage: order.map { Float($0) * 0.01 - 0.3 })
        let (output, argmax) = MaxPool2DKernel.forward(input: input)
        #expect(output.shape == [2, 2, 2, 2])
        #expect(argmax.allSatisfy { input.storage[$0] == output.storage[argmax.firstIndex(of: $0) ?? 0] })
        let upstream = GradientCheck.randomTensor(output.shape, seed: 42)
        let gradient = MaxPool2DKernel.backward(outputGradient: upstream, argmax: argmax, inputShape: shape)
        let numeric = GradientCheck.numericGradient(of: input, epsilon: 1e-3) {
            GradientCheck.dot(MaxPool2DKernel.forward(input: $0).output, upstream)
        }
        #expect(GradientCheck.relativeError(gradient.storage, numeric) < Self.tolerance)
    }

    @Test func maxPool2dHandComputed() {
        // One 4×4 plane → 2×2 maxima; ties go to the first position in row-major order.
        let input = Tensor(
            shape: [1, 1, 4, 4],
            storage: [
                1, 5, 2, 2,
                3, 4, 2, 2,
                -1, -2, 0, 9,
                -3, -4, 8, 1,
            ])
        let (output, argmax) = MaxPool2DKernel.forward(input: input)
        #expect(output.storage == [5, 2, -1, 9])
        #expect(argmax == [1, 2, 8, 11])
        let gradient = MaxPool2DKernel.backward(
            outputGradient: Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4]), argmax: argmax, inputShape: input.shape)
        #expect(gradient.storage == [0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 0, 0, 0])
    }

    @Test func flatten() throws {
        // A network of one flatten layer: the gradient is the upstream gradient reshaped back.
        let network = try Network(inputShape: [2, 3, 2], layers: [.flatten], seed: 0)
        #expect(network.outputShape == [12])
        let input = GradientCheck.randomTensor([2, 2, 3, 2], seed: 51)
        let (output, caches) = network.forward(input, caching: true)
        #expect(output.shape == [2, 12])
        #expect(output.storage == input.storage)
        let upstream = GradientCheck.randomTensor([2, 12], seed: 52)
        var gradients: [Tensor] = []
        let inputGradient = network.backward(
            caches: caches, outputGradient: upstream, gradients: &gradients, needsInputGradient: true)
        let numeric = GradientCheck.numericGradient(of: input) {
            GradientCheck.dot(network.forward($0, caching: false).output, upstream)
        }
        #expect(inputGradient?.shape == input.shape)
        #expect(GradientCheck.relativeError(inputGradient?.storage ?? [], numeric) < Self.tolerance)
    }

    @Test func softmaxCrossEntropy() {
        let logits = GradientCheck.randomTensor([4, 5], seed: 61, in: -3...3)
        let labels = [0, 4, 2, 2]
        let (loss, gradient) = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, normalizer: 4)
        // Reference in Double: mean of log Σ e^z − z_y.
        var expected = 0.0
        for row in 0..<4 {
            let z = (0..<5).map { Double(logits[row, $0]) }
            expected += Foundation.log(z.map { Foundation.exp($0) }.reduce(0, +)) - z[labels[row]]
        }
        #expect(abs(Double(loss) - expected / 4) < 1e-6)
        let numeric = GradientCheck.numericGradient(of: logits, epsilon: 1e-3) {
            Double(SoftmaxCrossEntropy.lossAndGradient(logits: $0, labels: labels, normalizer: 4).loss)
        }
        #expect(GradientCheck.relativeError(gradient.storage, numeric) < 1e-2)
        // Each row of the gradient sums to 0 (softmax sums to 1, the one-hot too).
        for row in 0..<4 {
            #expect(abs((0..<5).reduce(Float(0)) { $0 + gradient[row, $1] }) < 1e-6)
        }
    }

    @Test func softmaxCrossEntropyHandComputedAndStable() {
        // z = [0, 0], y = 0 → loss = log 2, gradient [−½, ½].
        let even = SoftmaxCrossEntropy.lossAndGradient(
            logits: Tensor(shape: [1, 2], storage: [0, 0]), labels: [0], normalizer: 1)
        #expect(abs(even.loss - 0.693_147_2) < 1e-6)
        #expect(even.gradient.storage == [-0.5, 0.5])
        // Huge logits neither overflow nor lose the answer: loss ≈ 0 and ≈ 1000.
        let huge = Tensor(shape: [2, 2], storage: [1000, 0, 1000, 0])
        let right = SoftmaxCrossEntropy.lossAndGradient(logits: huge.slice(rows: 0..<1), labels: [0], normalizer: 1)
        let wrong = SoftmaxCrossEntropy.lossAndGradient(logits: huge.slice(rows: 1..<2), labels: [1], normalizer: 1)
        #expect(right.loss == 0 && right.gradient.storage == [0, 0])
        #expect(wrong.loss == 1000 && wrong.gradient.storage == [1, -1])
        // The normalizer divides both loss and gradient.
        let halved = SoftmaxCrossEntropy.lossAndGradient(
            logits: Tensor(shape: [1, 2], storage: [0, 0]), labels: [0], normalizer: 2)
        #expect(halved.loss == even.loss / 2 && halved.gradient.storage == [-0.25, 0.25])
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct NetworkTests {
    /// conv(1→1, 3×3, pad 1) → relu → maxpool → flatten → dense(1→2), every value chosen by hand.
    @Test func forwardMatchesHandComputation() throws {
        var network = try Network(
            inputShape: [1, 2, 2],
            layers: [
                .conv2d(inputChannels: 1, outputChannels: 1), .relu, .maxPool2d, .flatten,
                .dense(inputs: 1, outputs: 2),
            ],
            seed: 0)
        // Kernel: 0.5 at top-left, 1 at the centre, −1 at bottom-right; bias 0.1. So
        // y(i, j) = 0.5·x(i−1, j−1) + x(i, j) − x(i+1, j+1) + 0.1 with x = [[1, 2], [3, 4]]:
        // y = [[−2.9, 2.1], [3.1, 4.6]] → relu [[0, 2.1], [3.1, 4.6]] → pool 4.6
        // → dense [2·4.6 + 0.5, −1·4.6 + 0.25] = [9.7, −4.35].
        network.parameters[0] = Tensor(shape: [1, 1, 3, 3], storage: [0.5, 0, 0, 0, 1, 0, 0, 0, -1])
        network.parameters[1] = Tensor(shape: [1], storage: [0.1])
        network.parameters[2] = Tensor(shape: [2, 1], storage: [2, -1])
        network.parameters[3] = Tensor(shape: [2], storage: [0.5, 0.25])
        let output = try network.output(for: Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4]))
        #expect(output.shape == [1, 2])
        #expect(TestSupport.firstMismatch(output.storage, [9.7, -4.35]) == nil)
    }

    @Test func endToEndGradientsMatchFiniteDifferences() throws {
        let network = try Network(
            inputShape: [1, 6, 6],
            layers: [
                .conv2d(inputChannels: 1, outputChannels: 2), .relu, .maxPool2d,  // [2, 3, 3]
                .flatten, .dense(inputs: 18, outputs: 4), .relu, .dense(inputs: 4, outputs: 3),
            ],
            seed: 8)
        // Finite differences are meaningless where ±ε flips a ReLU or a max-pool choice. With these
        // seeds every ReLU input is ≥ 2.8e-3 from 0 and every pooling window's top two differ by
        // ≥ 1.0e-2 (checked when the test was written); other seeds can sit on such a kink.
        let images = GradientCheck.randomTensor([3, 1, 6, 6], seed: 108, in: 0...1)
        let labels = [2, 0, 1]
        // The loss in Double from the Float logits, so tiny loss differences are not rounded away.
        func loss(_ network: Network, _ images: Tensor) -> Double {
            let logits = network.forward(images, caching: false).output  // [3, 3]
            var total = 0.0
            for (row, label) in labels.enumerated() {
                let z = (0..<3).map { Double(logits[row, $0]) }
                total += Foundation.log(z.map { Foundation.exp($0) }.reduce(0, +)) - z[label]
            }
            return total / 3
        }
        // ε small enough that no ReLU or pooling decision flips, large enough for Float logits.
        let epsilon: Float = 1e-3
        let (_, gradients) = network.lossAndGradients(images: images, labels: labels, normalizer: 3)
        #expect(gradients.map(\.shape) == network.parameters.map(\.shape))
        for (index, parameter) in network.parameters.enumerated() {
            let numeric = GradientCheck.numericGradient(of: parameter, epsilon: epsilon) { value in
                var perturbed = network
                perturbed.parameters[index] = value
                return loss(perturbed, images)
            }
            let mismatch = GradientCheck.firstMismatch(gradients[index].storage, numeric)
            #expect(mismatch == nil, "parameter \(index) \(parameter.shape): \(mismatch ?? "")")
        }
        // The input gradient too (not needed for training, but it checks the chain through layer 0).
        let (logits, caches) = network.forward(images, caching: true)
        let upstream = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: labels, normalizer: 3).gradient
        var scratch = network.zeroGradients()
        let inputGradient = network.backward(
            caches: caches, outputGradient: upstream, gradients: &scratch, needsInputGradient: true)
        let numericInput = GradientCheck.numericGradient(of: images, epsilon: epsilon) { loss(network, $0) }
        #expect(GradientCheck.firstMismatch(inputGradient?.storage ?? [], numericInput) == nil)
    }

    @Test func initializationFollowsPyTorchBounds() throws {
        let network = DemoModels.network(.cnn, seed: 3)
        // fan-in: conv1 1·9, conv2 8·9, fc1 784, fc2 64; weight and bias share the bound 1/√fan_in.
        let fanIns = [9, 9, 72, 72, 784, 784, 64, 64]
        #expect(
            network.parameters.map(\.shape) == [
                [8, 1, 3, 3], [8], [16, 8, 3, 3], [16], [64, 784], [64], [10, 64], [10],
            ])
        for (parameter, fanIn) in zip(network.parameters, fanIns) {
            let bound = 1 / Float(fanIn).squareRoot()
            let largest = parameter.storage.map(abs).max() ?? 0
            #expect(largest <= bound && largest > 0.8 * bound)
        }
        #expect(DemoModels.network(.cnn, seed: 3) == network)
        #expect(DemoModels.network(.cnn, seed: 4) != network)
    }

    @Test(arguments: DemoModels.Architecture.allCases)
    func demoArchitecturesChain(architecture: DemoModels.Architecture) throws {
        let validated = try Network(inputShape: [1, 28, 28], layers: DemoModels.layers(of: architecture), seed: 5)
        #expect(validated == DemoModels.network(architecture, seed: 5))
        #expect(validated.outputShape == [10])
        #expect(validated.parameterCount == (architecture == .mlp ? 235_146 : 52_138))
        let logits = try validated.output(for: Tensor.zeros([2, 1, 28, 28]))
        #expect(logits.shape == [2, 10])
    }

    @Test func rejectsLayersThatDoNotChain() {
        #expect(throws: TrainingError.incompatibleLayer(index: 1, layer: "dense(10→4)", inputShape: [12])) {
            try Network(inputShape: [3, 4], layers: [.flatten, .dense(inputs: 10, outputs: 4)], seed: 0)
        }
        #expect(
            throws: TrainingError.incompatibleLayer(index: 0, layer: "conv2d(2→4, 3x3, pad 1)", inputShape: [1, 5, 5])
        ) {
            try Network(inputShape: [1, 5, 5], layers: [.conv2d(inputChannels: 2, outputChannels: 4)], seed: 0)
        }
        #expect(throws: TrainingError.self) {
            try Network(inputShape: [1, 1, 1], layers: [.maxPool2d], seed: 0)
        }
    }

    @Test func outputRejectsWrongInputShape() throws {
        let network = DemoModels.network(.mlp, seed: 0)
        #expect(throws: TrainingError.inputShapeMismatch(expected: [1, 28, 28], actual: [2, 784])) {
            try network.output(for: Tensor.zeros([2, 784]))
        }
    }
}

/// What a layer's forward pass keeps for its backward pass.
enum LayerCache: Sendable {
    /// Nothing kept (inference).
    case none
    /// The dense layer's input `[B, in]`.
    case dense(input: Tensor)
    /// The convolution's column matrices `[B, C·k·k, oH·oW]`.
    case conv2d(columns: [Float])
    /// The ReLU's output (positive exactly where the gradient passes).
    case relu(output: Tensor)
    /// Where each pooled maximum came from, and the pooled input's shape.
    case maxPool2d(argmax: [Int], inputShape: [Int])
    /// The shape before flattening.
    case flatten(inputShape: [Int])
}

extension Network {
    /// The forward pass over a batch whose shape is already checked; with `caching`, also what backward needs.
    func forward(_ input: Tensor, caching: Bool) -> (output: Tensor, caches: [LayerCache]) {
        var activation = input  // [B] + activationShapes[i]
        var caches: [LayerCache] = []
        caches.reserveCapacity(layers.count)
        let batch = input.shape[0]
        for (index, layer) in layers.enumerated() {
            switch layer {
            case .dense:
                let (weight, bias) = parametersOf(layer: index)
                if caching { caches.append(.dense(input: activation)) }
                activation = DenseKernel.forward(input: activation, weight: weight, bias: bias)
            case .conv2d:
                let (weight, bias) = parametersOf(layer: index)
                let geometry = layer.convolutionGeometry(input: activationShapes[index])
                let result = Conv2DKernel.forward(input: activation, weight: weight, bias: bias, geometry: geometry)
                if caching { caches.append(.conv2d(columns: result.columns)) }
                activation = result.output
            case .relu:
                activation = ReLUKernel.forward(input: activation)
                if caching { caches.append(.relu(output: activation)) }
            case .maxPool2d:
                let result = MaxPool2DKernel.forward(input: activation)
                if caching { caches.append(.maxPool2d(argmax: result.argmax, inputShape: activation.shape)) }
                activation = result.output
            case .flatten:
                if caching { caches.append(.flatten(inputShape: activation.shape)) }
                activation = activation.reshaped([batch] + activationShapes[index + 1])
            }
        }
        return (activation, caches)
    }

    /// The backward pass: adds each parameter's gradient into `gradients` (parallel to `parameters`)
    /// and returns the gradient with respect to the input when `needsInputGradient`.
    ///
    /// - Parameters:
    ///   - caches: from `forward(_:caching: true)` on the same batch.
    ///   - outputGradient: `∂L/∂output`, `[B] + outputShape`.
    @discardableResult
    func backward(
        caches: [LayerCache], outputGradient: Tensor, gradients: inout [Tensor], needsInputGradient: Bool = false
    ) -> Tensor? {
        var gradient = outputGradient
        // Below the first layer with parameters, gradients are only needed for the input.
        let firstParametrized = parameterIndices.firstIndex { $0 != nil } ?? layers.count
        for index in layers.indices.reversed() {
            if index < firstParametrized && !needsInputGradient { return nil }
            let layer = layers[index]
            let needsGradient = index > firstParametrized || needsInputGradient
            switch (layer, caches[index]) {
            case (.dense, .dense(let input)):
                guard let weightIndex = parameterIndices[index] else { return nil }
                var (weightGradient, biasGradient) = Network.takeGradients(&gradients, at: weightIndex)
                let result = DenseKernel.backward(
                    input: input, weight: parameters[weightIndex], outputGradient: gradient,
                    weightGradient: &weightGradient, biasGradient: &biasGradient, needsInputGradient: needsGradient)
                (gradients[weightIndex], gradients[weightIndex + 1]) = (weightGradient, biasGradient)
                guard let result else { return nil }
                gradient = result
            case (.conv2d, .conv2d(let columns)):
                guard let weightIndex = parameterIndices[index] else { return nil }
                var (weightGradient, biasGradient) = Network.takeGradients(&gradients, at: weightIndex)
                let result = Conv2DKernel.backward(
                    columns: columns, weight: parameters[weightIndex], outputGradient: gradient,
                    geometry: layer.convolutionGeometry(input: activationShapes[index]),
                    weightGradient: &weightGradient, biasGradient: &biasGradient, needsInputGradient: needsGradient)
                (gradients[weightIndex], gradients[weightIndex + 1]) = (weightGradient, biasGradient)
                guard let result else { return nil }
                gradient = result
            case (.relu, .relu(let output)):
                gradient = ReLUKernel.backward(output: output, outputGradient: gradient)
            case (.maxPool2d, .maxPool2d(let argmax, let inputShape)):
                gradient = MaxPool2DKernel.backward(outputGradient: gradient, argmax: argmax, inputShape: inputShape)
            case (.flatten, .flatten(let inputShape)):
                gradient = gradient.reshaped(inputShape)
            default:
                return nil  // caches from another network: nothing sensible to do
            }
        }
        return gradient
    }

    /// Softmax cross-entropy of a batch and the parameter gradients, both divided by `normalizer`.
    ///
    /// - Parameters:
    ///   - images: `[B] + inputShape`, shape already checked.
    ///   - labels: B class indices in `0..<outputShape[0]`.
    ///   - normalizer: the size of the whole mini-batch this part belongs to.
    func lossAndGradients(images: Tensor, labels: [Int], normalizer: Int) -> (loss: Float, gradients: [Tensor]) {
        let (logits, caches) = forward(images, caching: true)
        let (loss, logitGradient) = SoftmaxCrossEntropy.lossAndGradient(
            logits: logits, labels: labels, normalizer: normalizer)
        var gradients = zeroGradients()
        backward(caches: caches, outputGradient: logitGradient, gradients: &gradients)
        return (loss, gradients)
    }

    /// Moves a layer's weight and bias gradients out of `gradients` (leaving empty placeholders),
    /// so they can be updated in place without copying.
    private static func takeGradients(_ gradients: inout [Tensor], at weightIndex: Int) -> (Tensor, Tensor) {
        let placeholder = Tensor.zeros([0])
        let weight = gradients[weightIndex], bias = gradients[weightIndex + 1]
        gradients[weightIndex] = placeholder
        gradients[weightIndex + 1] = placeholder
        return (weight, bias)
    }

    /// Zero tensors shaped like `parameters`.
    func zeroGradients() -> [Tensor] {
        parameters.map { Tensor.zeros($0.shape) }
    }

    /// The weight and bias of layer `index` (which must be `dense` or `conv2d`).
    private func parametersOf(layer index: Int) -> (weight: Tensor, bias: Tensor) {
        guard let weightIndex = parameterIndices[index] else { return (Tensor.zeros([0]), Tensor.zeros([0])) }
        return (parameters[weightIndex], parameters[weightIndex + 1])
    }
}

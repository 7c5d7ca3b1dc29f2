/// The weights a fine-tuning student computes with: each layer's latent float weight pruned and
/// quantized exactly as the plan defines it (`Pruner.mask` then `WeightQuantizer.quantize`, the
/// engine's own pipeline for one layer), plus which weights the plan prunes.
///
/// Straight-through estimator: the gradient of the loss with respect to the quantized weight is
/// used as the gradient of the latent weight, except where the plan prunes (there it is 0, so a
/// pruned weight stays pruned). Biases stay float, as the plan leaves them.
struct StudentWeights {
    /// The network's parameters (weight, bias, …) as the forward pass uses them.
    var parameters: [Tensor]
    /// Per parameter tensor, `true` where its gradient is dropped (pruned weights, absent biases);
    /// nil when every gradient passes.
    var frozen: [[Bool]?]

    /// Quantizes `latent` (parallel to `graphNetwork.network.parameters`) as `plan` says.
    ///
    /// - Throws: `QuantizationError` for settings the scheme cannot apply.
    init(latent: [Tensor], graphNetwork: GraphNetwork, plan: QuantPlan) throws {
        parameters = latent
        frozen = Array(repeating: nil, count: latent.count)
        for binding in graphNetwork.bindings {
            let index = binding.parameterIndex
            if binding.biasShape == nil {
                frozen[index + 1] = Array(repeating: true, count: latent[index + 1].count)
            }
            let settings = plan.settings(for: binding.layer.name)
            guard !settings.isFloat else { continue }
            // The plan's quantizers work in the graph's layout (output-channel axis, blocks).
            let graphWeight =
                binding.isTransposed
                ? GraphNetwork.transposed(latent[index]) : latent[index].reshaped(binding.layer.weightShape)
            let mask = settings.pruning.map {
                Pruner.mask(for: graphWeight, outputChannelAxis: binding.layer.outputChannelAxis, rule: $0)
            }
            let quantized = try WeightQuantizer.quantize(
                graphWeight, outputChannelAxis: binding.layer.outputChannelAxis, settings: settings, prunedMask: mask)
            let dequantized = Tensor(shape: graphWeight.shape, storage: quantized.dequantized)
            parameters[index] =
                binding.isTransposed ? GraphNetwork.transposed(dequantized) : dequantized.reshaped(latent[index].shape)
            if let mask, mask.contains(true) {
                frozen[index] =
                    binding.isTransposed ? StudentWeights.transposedMask(mask, graphShape: graphWeight.shape) : mask
            }
        }
    }

    /// Zeroes the gradients of frozen values (the straight-through estimator's mask).
    func maskGradients(_ gradients: inout [Tensor]) {
        for (index, mask) in frozen.enumerated() {
            guard let mask else { continue }
            gradients[index].storage.withUnsafeMutableBufferPointer { values in
                for element in values.indices where mask[element] { values[element] = 0 }
            }
        }
    }

    /// Sets frozen latent values to 0, so a pruned weight stays exactly 0 whatever the optimizer does.
    func zeroFrozen(_ latent: inout [Tensor]) {
        for (index, mask) in frozen.enumerated() {
            guard let mask else { continue }
            latent[index].storage.withUnsafeMutableBufferPointer { values in
                for element in values.indices where mask[element] { values[element] = 0 }
            }
        }
    }

    /// A mask of a `[rows, columns]` graph weight in the transposed `[columns, rows]` layout.
    static func transposedMask(_ mask: [Bool], graphShape: [Int]) -> [Bool] {
        let rows = graphShape[0], columns = graphShape[1]
        var result = [Bool](repeating: false, count: mask.count)
        for row in 0..<rows {
            for column in 0..<columns { result[column * rows + row] = mask[row * columns + column] }
        }
        return result
    }
}

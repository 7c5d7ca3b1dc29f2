/// The weights a fine-tuning student computes with, in the graph's own layout and keyed by
/// initializer name: each plan layer's latent float weight pruned and quantized exactly as the
/// plan defines it (`Pruner.mask` then `WeightQuantizer.quantize`, the engine's own pipeline for
/// one layer), plus which weights the plan prunes. Biases (and other trained initializers, such
/// as BatchNormalization's scale and bias) stay float, as the plan leaves them.
///
/// Straight-through estimator: the gradient of the loss with respect to the quantized weight is
/// used as the gradient of the latent weight, except where the plan prunes (there it is 0, so a
/// pruned weight stays pruned).
///
/// Scales: `.derived` re-derives each block's scale from the current latent weights every step
/// (as the plan does at evaluation); `.kept` fixes each block's scale and zero point to those of
/// the starting weights (`KeptScales`), for the affine schemes (symmetric, symmetric-full,
/// asymmetric, mean-std) with nearest-even rounding; other schemes derive theirs every step.
struct StudentWeights {
    /// Per latent initializer, the value the forward pass uses (quantized for plan layers).
    var values: [String: Tensor]
    /// Per pruned weight initializer, `true` where the plan prunes (its gradient is dropped).
    var frozen: [String: [Bool]]

    /// Quantizes the plan layers' weights among `latent` as `plan` says; the rest pass unchanged.
    ///
    /// - Throws: `QuantizationError` for settings the scheme cannot apply.
    init(latent: [String: Tensor], layers: [Layer], plan: QuantPlan, keptScales: KeptScales? = nil) throws {
        values = latent
        frozen = [:]
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            guard !settings.isFloat, let weight = latent[layer.weightName] else { continue }
            let mask = settings.pruning.map {
                Pruner.mask(for: weight, outputChannelAxis: layer.outputChannelAxis, rule: $0)
            }
            if let kept = keptScales?.parameters[layer.weightName] {
                values[layer.weightName] = try KeptScales.quantize(
                    weight, layer: layer, settings: settings, parameters: kept, mask: mask)
            } else {
                let quantized = try WeightQuantizer.quantize(
                    weight, outputChannelAxis: layer.outputChannelAxis, settings: settings, prunedMask: mask)
                values[layer.weightName] = Tensor(shape: weight.shape, storage: quantized.dequantized)
            }
            if let mask, mask.contains(true) { frozen[layer.weightName] = mask }
        }
    }

    /// Zeroes the gradients of frozen values (the straight-through estimator's mask).
    func maskGradients(_ gradients: inout [String: Tensor]) {
        for (name, mask) in frozen { gradients[name].map { gradients[name] = StudentWeights.zeroed($0, mask) } }
    }

    /// Sets frozen latent values to 0, so a pruned weight stays exactly 0 whatever the optimizer does.
    func zeroFrozen(_ latent: inout [String: Tensor]) {
        for (name, mask) in frozen { latent[name].map { latent[name] = StudentWeights.zeroed($0, mask) } }
    }

    /// `tensor` with the elements `mask` marks set to 0.
    static func zeroed(_ tensor: Tensor, _ mask: [Bool]) -> Tensor {
        var result = tensor
        result.storage.withUnsafeMutableBufferPointer { values in
            for element in values.indices where mask[element] { values[element] = 0 }
        }
        return result
    }
}

/// Per-block scales and zero points fixed from the starting weights (`--scales kept`).
struct KeptScales {
    /// Per weight initializer, one affine parameter set per block (`BlockLayout` order).
    var parameters: [String: [AffineQuantizer.Parameters]]

    /// The scales the plan derives from `latent` for every affine, nearest-even layer.
    ///
    /// - Throws: `QuantizationError` for settings the scheme cannot apply.
    init(latent: [String: Tensor], layers: [Layer], plan: QuantPlan) throws {
        parameters = [:]
        let affine: Set<Scheme> = [.symmetric, .symmetricFull, .asymmetric, .meanStd]
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            guard let bitWidth = settings.bitWidth, affine.contains(settings.scheme),
                let weight = latent[layer.weightName]
            else { continue }
            if case .stochastic = settings.rounding { continue }  // derived every step
            let mask = settings.pruning.map {
                Pruner.mask(for: weight, outputChannelAxis: layer.outputChannelAxis, rule: $0)
            }
            let quantized = try WeightQuantizer.quantize(
                weight, outputChannelAxis: layer.outputChannelAxis, settings: settings, prunedMask: mask)
            let codes = AffineQuantizer.codeRange(settings.scheme, bitWidth: bitWidth)
            parameters[layer.weightName] = quantized.scales.indices.map { block in
                AffineQuantizer.Parameters(
                    scale: quantized.scales[block],
                    zeroPoint: quantized.zeroPoints.isEmpty ? 0 : quantized.zeroPoints[block], codeRange: codes)
            }
        }
    }

    /// `weight` quantized and dequantized with fixed per-block `parameters`, pruned weights 0.
    static func quantize(
        _ weight: Tensor, layer: Layer, settings: LayerSettings, parameters: [AffineQuantizer.Parameters],
        mask: [Bool]?
    ) throws -> Tensor {
        let layout = try BlockLayout(
            shape: weight.shape, outputChannelAxis: layer.outputChannelAxis, granularity: settings.granularity)
        var result = weight
        for index in result.storage.indices {
            let block = parameters[layout.blockIndex(ofElement: index)]
            let value = mask?[index] == true ? 0 : weight.storage[index]
            result.storage[index] = AffineQuantizer.dequantize(AffineQuantizer.quantize(value, block), block)
        }
        return result
    }
}

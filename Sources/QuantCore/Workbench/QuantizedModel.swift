/// A float model with a `QuantPlan` applied: everything needed to run it and to report on it.
///
/// The float model itself is never modified: quantized weights are run as executor overrides,
/// and activation quantization as fake-quant steps after the named node outputs.
public struct QuantizedModel: Sendable, Equatable {
    /// The plan that produced it.
    public var plan: QuantPlan
    /// One report per layer, in graph order.
    public var layerReports: [LayerReport]
    /// Dequantized weights by initializer name, for layers that are not plain float, and the
    /// corrected biases of layers with `biasCorrection` (exports write these bias values).
    public var weightOverrides: [String: Tensor]
    /// Fake-quantization applied to node outputs, by value name.
    public var activationQuantization: [String: ActivationQuantization]
    /// The exported size of the whole model (filter-pruned layers counted without the removed
    /// filters and their consumers without the matching inputs).
    public var size: SizeReport
    /// The filters removed by `"prune": {"filters": s}` layers and where the removal propagates;
    /// evaluation runs them as zeros, exports cut them out (`FilterRemoval.applying`).
    public var filterRemovals: [FilterRemoval] = []

    /// The report for `layerName`, if it is a layer of the model.
    public func report(for layerName: String) -> LayerReport? {
        layerReports.first { $0.layer.name == layerName }
    }

    /// Bytes of the tensors a QDQ ONNX export stores: each layer's weight as its encoding (or
    /// float32), float32 biases and every other initializer (protobuf framing and the activation
    /// scales add a little more).
    public var qdqTensorBytes: Int {
        layerReports.reduce(size.otherInitializerBytes) {
            $0 + $1.qdqWeightBytes + SizeModel.floatByteCount * $1.size.biasCount
        }
    }

    /// Whether running it gives exactly the float model's results.
    public var isFloat: Bool { weightOverrides.isEmpty && activationQuantization.isEmpty }
}

import Foundation

/// Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization", §4.2; AIMET's
/// empirical variant): quantizing (or pruning) a layer's weights shifts the mean of each output
/// channel by `E[(W_q − W)·x]`; subtracting that shift from the bias removes it.
///
/// The expectation is over the **float model's** inputs to the layer on the calibration set
/// (training split, never held out), so each layer's correction depends only on its own settings
/// and is exact for the layer (it is linear in the weight): `LayerInputMean` keeps the one
/// statistic per layer that makes `E[ΔW·x]` a dot product. The statistics are gathered in one
/// float pass, the first time a plan asks for a correction. `apply` writes each corrected bias
/// into `QuantizedModel.weightOverrides`, so evaluation, the dashboard and every export carry it.
extension Layer {
    /// Whether layers of this ONNX operator can have their bias corrected.
    static func canCorrectBias(opName: String) -> Bool { LayerInputMean.operators.contains(opName) }

    /// Why the layer cannot have its bias corrected, as far as the layer itself tells (operator,
    /// weight rank, a constant bias), or nil; `Workbench.biasCorrectionProblem` checks the rest.
    public var biasCorrectionProblem: String? {
        guard Layer.canCorrectBias(opName: opName), weightInputIndex == 1, opName != "MatMul" || weightShape.count == 2
        else {
            return "a \(opName) layer cannot be bias-corrected (Conv, Gemm and MatMul with a 2-D weight can)"
        }
        return biasName == nil ? "the layer has no constant bias to correct" : nil
    }
}

extension Workbench {
    /// Why `layer` cannot have its bias corrected, or nil when it can. Bias correction changes an
    /// existing constant bias: Conv/Gemm bias, or the constant of the Add after a MatMul.
    public func biasCorrectionProblem(for layer: Layer) -> String? {
        if let problem = layer.biasCorrectionProblem { return problem }
        guard LayerInputMean.kind(of: layer, in: graph) != nil, let biasName = layer.biasName,
            let bias = graph.initializers[biasName]
        else { return "the layer has no constant bias to correct" }
        let channels = layer.weightShape[layer.outputChannelAxis]
        guard bias.count == channels else {
            return "its bias '\(Printable.name(biasName))' has \(bias.count) values, not one per output channel "
                + "(\(channels))"
        }
        let readers = graph.nodes.filter { $0.inputs.contains(biasName) }.count
        guard readers == 1 else { return "its bias '\(Printable.name(biasName))' is read by \(readers) nodes" }
        if case .gemm(let attributes) = graph.nodes[layer.nodeIndex].op, attributes.beta == 0 {
            return "its Gemm has beta 0, so the bias is ignored"
        }
        return nil
    }

    /// `plan` with an entry for every layer and `biasCorrection` on wherever the weights are
    /// quantized or pruned and the bias can be corrected (`eval`/`export --bias-correction`).
    public func withBiasCorrection(_ plan: QuantPlan) -> QuantPlan {
        var result = plan.normalized(for: layers)
        for layer in layers where biasCorrectionProblem(for: layer) == nil {
            guard var settings = result.layers[layer.name], !settings.isFloat else { continue }
            settings.biasCorrection = true
            result.layers[layer.name] = settings
        }
        return result
    }

    /// Whether applying `plan` needs layer input statistics that are not gathered yet.
    func needsInputMeans(for plan: QuantPlan) -> Bool {
        guard calibration != nil, lock.withLock({ inputMeans == nil }) else { return false }
        return layers.contains {
            let settings = plan.settings(for: $0.name)
            return settings.biasCorrection && !settings.isFloat
        }
    }

    /// The mean inputs of every layer bias correction can serve, over the calibration set
    /// (computed once, by running the float model).
    ///
    /// - Parameters:
    ///   - progress: fraction of calibration samples done, after each batch.
    ///   - isCancelled: checked before each batch; a cancelled run keeps nothing.
    /// - Throws: `EvaluationError.noCalibrationData` without a calibration set; executor errors.
    @discardableResult
    func layerInputMeans(
        progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> [String: LayerInputMean] {
        if let cached = lock.withLock({ inputMeans }) { return cached }
        guard let calibration, calibration.count > 0 else {
            throw EvaluationError.noCalibrationData(model: graph.name)
        }
        var means: [String: LayerInputMean] = [:]
        var inputOf: [String: String] = [:]
        for layer in layers where biasCorrectionProblem(for: layer) == nil {
            guard let kind = LayerInputMean.kind(of: layer, in: graph) else { continue }
            means[layer.name] = LayerInputMean(kind: kind, weightShape: layer.weightShape)
            inputOf[layer.name] = graph.nodes[layer.nodeIndex].inputs[0]
        }
        let values = Set(inputOf.values)
        for range in calibration.batchRanges(of: batchSize) {
            if isCancelled() { throw CancellationError() }
            defer { progress?(Double(range.upperBound) / Double(max(calibration.count, 1))) }
            let outputs = try executor.run(calibration.inputs(in: range, main: inputName), keeping: values)
            for name in means.keys.sorted() {
                guard let layer = layer(named: name), let value = inputOf[name], let x = outputs[value],
                    let weight = graph.initializers[layer.weightName]
                else { continue }
                try means[name]?.observe(
                    x, weight: weight, node: GraphExecutor.displayName(of: graph.nodes[layer.nodeIndex]))
            }
        }
        lock.withLock { inputMeans = means }
        return means
    }

    /// The corrected bias of `report`'s layer: `b − E[(W_q − W)·x] / β` (β: Gemm's bias factor,
    /// else 1), shaped like the original bias.
    ///
    /// - Throws: `PlanError.invalidField` at the layer's `biasCorrection` when the layer cannot be
    ///   corrected or there is no calibration set; executor errors from gathering statistics.
    /// Under cross-layer equalization the bias starts from the equalized one and the weight change
    /// is taken in the float model's input coordinates (`floatCoordinateDelta`).
    func correctedBias(
        for report: LayerReport, equalization: CrossLayerEqualization? = nil
    ) throws -> (name: String, bias: Tensor)? {
        let layer = report.layer
        guard report.quantized != nil else { return nil }
        let path = PlanPath.root.appending("layers").appending(layer.name).appending("biasCorrection")
        if let problem = biasCorrectionProblem(for: layer) {
            throw PlanError.invalidField(file: "", path: path.description, problem: problem)
        }
        guard calibration?.count ?? 0 > 0 else {
            throw PlanError.invalidField(
                file: "", path: path.description,
                problem: "needs calibration data from the training split (--calibration)")
        }
        guard let mean = try layerInputMeans()[layer.name], let biasName = layer.biasName,
            let bias = equalization?.tensors[biasName] ?? graph.initializers[biasName],
            let delta = floatCoordinateDelta(of: report, equalization: equalization)
        else { return nil }
        var beta: Float = 1
        if case .gemm(let attributes) = graph.nodes[layer.nodeIndex].op { beta = attributes.beta }
        let shift = mean.meanOutputChange(for: delta)
        var corrected = bias
        for (channel, value) in shift.enumerated() where channel < corrected.count {
            corrected.storage[channel] -= value / beta
        }
        return (biasName, corrected)
    }
}

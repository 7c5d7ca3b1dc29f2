import Foundation

/// Cross-layer equalization in the workbench: a layer with `equalize` is rescaled against the
/// next layer (`EqualizationPair`, `CrossLayerEqualization`) before anything else, so pruning and
/// quantization of both layers apply to the equalized weights, and bias correction after that.
/// The equalized weights and the first layer's scaled bias go into
/// `QuantizedModel.weightOverrides`, so evaluation, the dashboard and every export carry them.
extension Workbench {
    /// The pair `layer` would start, or why it cannot be equalized with the next layer.
    func equalizationPair(for layer: Layer) -> Result<EqualizationPair, EqualizationPair.Refusal> {
        equalizationPairs()[layer.name] ?? .failure(EqualizationPair.Refusal("it is not a layer of the model"))
    }

    /// Every layer's pair or refusal, found once (the graph never changes).
    private func equalizationPairs() -> [String: Result<EqualizationPair, EqualizationPair.Refusal>] {
        if let cached = lock.withLock({ equalizationPairsState }) { return cached }
        let index = EqualizationPair.Index(graph: graph, layers: layers)
        var pairs: [String: Result<EqualizationPair, EqualizationPair.Refusal>] = [:]
        for layer in layers { pairs[layer.name] = EqualizationPair.starting(at: layer, in: graph, index: index) }
        lock.withLock { equalizationPairsState = pairs }
        return pairs
    }

    /// Why `layer` cannot be equalized with the next layer, or nil when it can.
    public func equalizationProblem(for layer: Layer) -> String? {
        if case .failure(let refusal) = equalizationPair(for: layer) { return refusal.problem }
        return nil
    }

    /// The layer `layer` would be equalized with, or nil when it cannot be.
    public func equalizationPartner(of layer: Layer) -> Layer? {
        if case .success(let pair) = equalizationPair(for: layer) { return pair.second }
        return nil
    }

    /// `plan` with an entry for every layer and `equalize` on wherever a layer can be equalized
    /// with the next one (`eval`/`export --equalize`).
    public func withEqualization(_ plan: QuantPlan) -> QuantPlan {
        var result = plan.normalized(for: layers)
        for layer in layers where equalizationProblem(for: layer) == nil {
            guard var settings = result.layers[layer.name] else { continue }
            if settings.activationBits != nil { continue }  // refused in `equalization(for:)`
            settings.equalize = true
            result.layers[layer.name] = settings
        }
        return result
    }

    /// The equalized weights `plan` asks for, or nil when no layer has `equalize` (cached by the
    /// set of equalized layers: the result depends on nothing else).
    ///
    /// - Throws: `PlanError.invalidField` at the first layer's `equalize` that cannot be
    ///   equalized: no suitable next layer, shared weights, 8-bit activations on its output
    ///   (their range is calibrated on the unequalized model).
    func equalization(for plan: QuantPlan) throws -> CrossLayerEqualization? {
        let flagged = layers.filter { plan.settings(for: $0.name).equalize }
        guard !flagged.isEmpty else { return nil }
        let key = flagged.map(\.name).joined(separator: "\u{0}")
        if let cached = lock.withLock({ equalizations[key] }) { return cached }
        var pairs: [EqualizationPair] = []
        for layer in flagged {
            let path = PlanPath.root.appending("layers").appending(layer.name).appending("equalize")
            switch equalizationPair(for: layer) {
            case .failure(let refusal):
                throw PlanError.invalidField(
                    file: "", path: path.description, problem: "cannot equalize with the next layer: \(refusal.problem)"
                )
            case .success(let pair):
                if plan.settings(for: layer.name).activationBits != nil {
                    throw PlanError.invalidField(
                        file: "", path: path.description,
                        problem: "cannot equalize a layer whose output activations are quantized (their range is "
                            + "calibrated on the unequalized model); turn activationBits off for this layer")
                }
                pairs.append(pair)
            }
        }
        let result = CrossLayerEqualization(pairs: pairs, graph: graph)
        lock.withLock {
            if equalizations.count >= 8 { equalizations.removeAll() }  // a handful of plans; weights are big
            equalizations[key] = result
        }
        return result
    }

    /// The layer-report cache variant of the weights `plan` equalizes: the equalized layers' names.
    func equalizationVariant(of plan: QuantPlan) -> String {
        "equalized:" + layers.filter { plan.settings(for: $0.name).equalize }.map(\.name).joined(separator: ",")
    }

    /// The bias correction's weight change of `layer` in the float model's input coordinates:
    /// `quantized − equalized float`, divided per input feature by the scales equalization put on it.
    func floatCoordinateDelta(of report: LayerReport, equalization: CrossLayerEqualization?) -> Tensor? {
        guard let quantized = report.quantized else { return nil }
        var delta = quantized.tensor
        for index in delta.storage.indices { delta.storage[index] -= report.floatWeights.storage[index] }
        guard let scales = equalization?.inputScales[report.layer.name],
            let layout = EqualizationLayout(report.layer, in: graph)
        else { return delta }
        return CrossLayerEqualization.floatCoordinates(of: delta, layout: layout, inputScales: scales)
    }
}

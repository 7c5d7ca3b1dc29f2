import Foundation

/// The engine's front door: a float model, its held-out and calibration data, and caches, turning
/// a `QuantPlan` into a `QuantizedModel` and evaluating it.
///
/// Layer reports are cached by `(layer, settings)`, so re-applying a plan after one layer's
/// settings changed re-quantizes only that layer. Activation statistics are gathered once, on the
/// calibration set (from the training split, never the held-out set), by running the float model.
/// The float model is never modified. All methods may be called from any thread.
public final class Workbench: @unchecked Sendable {
    /// The float model.
    public let graph: Graph
    /// Its quantizable layers, in graph order.
    public let layers: [Layer]
    /// Each layer's position in `layers`, by name (a scan per lookup was quadratic on long chains).
    let layerIndex: [String: Int]
    /// The held-out set, shaped for the model's input.
    public let heldOut: Dataset
    /// The calibration set (training split), shaped for the model's input; `nil` when none was given.
    public let calibration: Dataset?
    /// The executor shared by every run.
    public let executor: GraphExecutor
    /// Batch size for evaluation and calibration.
    public var batchSize: Int = Evaluator.defaultBatchSize
    /// Worker threads evaluation spreads batches over (default: the active processor count).
    public var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The graph input fed with data.
    let inputName: String
    /// The graph output read as logits.
    let outputName: String
    /// Guards the caches below.
    let lock = NSLock()
    /// Layer reports by (layer, settings), least recently used dropped beyond a weight budget.
    var layerCache: LayerReportCache
    /// Held-out activations at layer boundaries, so a change re-runs only the graph after it.
    var activationCache = ActivationCache(capacityBytes: Workbench.defaultActivationCacheBytes)
    /// Activation statistics per layer output, once gathered.
    var calibrators: [String: ActivationCalibrator]?
    /// Mean calibration inputs per layer, for bias correction, once gathered.
    var inputMeans: [String: LayerInputMean]?
    /// Cross-layer equalizations by the names of the equalized layers, once computed.
    var equalizations: [String: CrossLayerEqualization] = [:]
    /// Each layer's equalization pair or refusal, once found.
    var equalizationPairsState: [String: Result<EqualizationPair, EqualizationPair.Refusal>]?
    /// Sampled calibration inputs per layer, for learned rounding, once gathered.
    var inputRows: [String: LayerInputRows] = [:]
    /// How learned rounding optimises (set before applying: cached reports are kept).
    public var learnedRoundingOptions = LearnedRounding.Options()
    /// The float model's held-out evaluation, once computed.
    var floatEvaluation: EvalReport?
    /// The float model's raw outputs on the held-out set, `[N, ...]` flattened, when they fit
    /// in `fidelityReferenceBytes` (fidelity then reads them instead of re-running the float model).
    var floatOutputs: [Float]?
    /// The most bytes of float outputs kept as the fidelity reference (default 64 MiB: 16 000
    /// ImageNet logit rows). Larger outputs are recomputed batch by batch alongside each run,
    /// so memory stays bounded at the cost of a second (float) pass.
    public var fidelityReferenceBytes = 64 << 20
    /// The boundaries the cache keeps, for the budget they were chosen for.
    var cachePlanState: (budget: Int, plan: CachePlan)?
    /// The values a run from each layer boundary reads.
    var boundaryValuesState: [Int: Set<String>]?

    /// The default cap on cached activations: an eighth of physical memory, between 256 MiB
    /// and 4 GiB (3 GiB on a 24 GiB machine).
    public static let defaultActivationCacheBytes: Int = {
        let eighth = Int(clamping: ProcessInfo.processInfo.physicalMemory / 8)
        return min(max(eighth, 256 << 20), 4 << 30)
    }()

    /// The most bytes of held-out activations kept for incremental evaluation (0: none).
    public var activationCacheBytes: Int {
        get { lock.withLock { activationCache.capacityBytes } }
        set {
            lock.withLock {
                activationCache.capacityBytes = max(0, newValue)
                activationCache.removeAll()
                cachePlanState = nil
            }
        }
    }

    /// Prepares `graph` for quantization experiments on `heldOut`, calibrating activations on `calibration`.
    ///
    /// - Throws: `GraphError` for a graph the executor cannot run, `EvaluationError` when the data
    ///   does not fit the model's input.
    public init(graph: Graph, heldOut: Dataset, calibration: Dataset?) throws {
        guard let input = graph.inputs.first, let output = graph.outputs.first else {
            throw GraphError.missingInput(graph.inputs.first?.name ?? "(the model has no input or output)")
        }
        _ = Workbench.keepsLargeBuffersInHeap
        self.graph = graph
        self.layers = graph.layers
        self.layerIndex = Dictionary(layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.executor = try GraphExecutor(graph: graph)
        self.inputName = input.name
        self.outputName = output.name
        self.heldOut = try heldOut.reshaped(toModelInput: input.shape)
        self.calibration = try calibration?.reshaped(toModelInput: input.shape)
        let weightCount = layers.reduce(0) { $0 + (graph.initializers[$1.weightName]?.storage.count ?? 0) }
        self.layerCache = LayerReportCache(weightBudget: LayerReportCache.budget(forModelWeightCount: weightCount))
    }

    /// Layers that read one weight initializer must get the same settings: the initializer holds
    /// one set of quantized values, in evaluation and in every export (issue 16.3).
    ///
    /// - Throws: `PlanError.invalidField` at the later layer, naming both layers and the weight.
    public func checkSharedWeights(_ plan: QuantPlan) throws {
        var firstReader: [String: Layer] = [:]
        for layer in layers {
            guard let first = firstReader[layer.weightName] else {
                firstReader[layer.weightName] = layer
                continue
            }
            let (settings, firstSettings) = (plan.settings(for: layer.name), plan.settings(for: first.name))
            guard settings == firstSettings else {
                throw PlanError.invalidField(
                    file: "", path: PlanPath.layer(layer.name),
                    problem: "shares its weight '\(Printable.name(layer.weightName))' with layer "
                        + "'\(Printable.name(first.name))', so both need the same settings "
                        + "(\(Workbench.brief(settings)) vs \(Workbench.brief(firstSettings)))")
            }
        }
    }

    /// `4-bit asymmetric channel, prune none, activations float`.
    static func brief(_ settings: LayerSettings) -> String {
        "\(settings.bitWidthLabel)-bit \(settings.schemeLabel) \(settings.granularityLabel), "
            + "prune \(settings.pruningLabel), activations \(settings.activationLabel)"
    }

    /// What the user should know about which model values are used: `nil` for one input and
    /// one output, else e.g. `the model has 2 outputs (logits, features); evaluating 'logits' (…)`.
    public var ioNote: String? {
        var parts: [String] = []
        let byName = heldOut.extraInputs.keys.sorted().map { "'\(Printable.name($0))'" }.joined(separator: ", ")
        for (values, kind, verb, option) in [
            (graph.inputs, "inputs", "feeding", byName.isEmpty ? "" : " from the samples and \(byName) by name"),
            (graph.outputs, "outputs", "evaluating", " (--output NAME picks one)"),
        ] where values.count > 1 {
            let names = values.prefix(4).map { Printable.name($0.name) }.joined(separator: ", ")
            let more = values.count > 4 ? ", …" : ""
            parts.append(
                "the model has \(values.count) \(kind) (\(names)\(more)); \(verb) "
                    + "'\(Printable.name(values[0].name))'\(option)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// A batch size that keeps one batch's input near 2 M values (about 8 MiB, so activations
    /// stay in the tens of MiB even for 224×224 images), between 1 and `limit`.
    public static func recommendedBatchSize(sampleElementCount: Int, limit: Int) -> Int {
        max(1, min(limit, 2_000_000 / max(sampleElementCount, 1)))
    }

    /// The names plans use, in graph order.
    public var layerNames: [String] { layers.map(\.name) }

    /// The layer called `name`.
    public func layer(named name: String) -> Layer? { layerIndex[name].map { layers[$0] } }

    // MARK: Weights

    /// Quantizes one layer's weights with `settings` (cached).
    ///
    /// - Throws: `PlanError.unknownLayer` for a name that is not a layer; `QuantizationError`
    ///   for settings the scheme cannot apply.
    /// - Parameter equalized: the weights to quantize instead of the model's (cross-layer
    ///   equalization), and the cache variant that names them.
    public func layerReport(for name: String, settings: LayerSettings) throws -> LayerReport {
        try layerReport(for: name, settings: settings, equalized: nil)
    }

    func layerReport(
        for name: String, settings: LayerSettings, equalized: (weight: Tensor, variant: String)?
    ) throws -> LayerReport {
        let key = LayerReportCache.Key(layer: name, settings: settings, variant: equalized?.variant ?? "")
        if let cached = lock.withLock({ layerCache.report(for: key) }) { return cached }
        guard let layer = layer(named: name), let weights = equalized?.weight ?? graph.initializers[layer.weightName]
        else {
            throw PlanError.unknownLayer(file: "", name: name, validNames: layerNames)
        }
        let learns = settings.rounding == .learned && settings.bitWidth != nil
        if learns, equalized != nil {
            // Learned rounding learns on the model's own weights and inputs, which equalization rescales.
            throw PlanError.invalidField(
                file: "", path: PlanPath.root.appending("layers").appending(name).appending("rounding").description,
                problem: "learned rounding is not supported on a layer that cross-layer equalization rescales")
        }
        let report =
            learns
            ? try learnedReport(for: layer, settings: settings)
            : try Workbench.quantize(layer, weights: weights, settings: settings)
        lock.withLock { layerCache.insert(report, for: key) }
        return report
    }

    /// The reference pipeline for one layer: prune, quantize, measure, size.
    static func quantize(_ layer: Layer, weights: Tensor, settings: LayerSettings) throws -> LayerReport {
        guard !settings.isFloat else {
            return LayerReport(
                layer: layer, settings: settings, floatWeights: weights, quantized: nil,
                metrics: ErrorMetrics.fast(float: weights.storage, dequantized: weights.storage),
                size: SizeModel.layerSize(layer, quantized: nil), prunedBand: nil,
                qdqWeightBytes: 4 * weights.storage.count)
        }
        let mask = settings.pruning.map {
            Pruner.mask(for: weights, outputChannelAxis: layer.outputChannelAxis, rule: $0)
        }
        let quantized = try WeightQuantizer.quantize(
            weights, outputChannelAxis: layer.outputChannelAxis, settings: settings, prunedMask: mask)
        let band = mask.flatMap {
            WeightHistogram.prunedBand(for: settings.pruning, floatWeights: weights.storage, prunedMask: $0)
        }
        return LayerReport(
            layer: layer, settings: settings, floatWeights: weights, quantized: quantized,
            metrics: ErrorMetrics.fast(float: weights.storage, dequantized: quantized.dequantized),
            size: SizeModel.layerSize(layer, quantized: quantized), prunedBand: band,
            qdqWeightBytes: QDQWeightEncoding.storedBytes(of: quantized, weightCount: weights.storage.count))
    }

    /// Applies `plan` to every layer.
    ///
    /// - Throws: `PlanError` for layer names the model lacks or invalid settings;
    ///   `QuantizationError`; `EvaluationError.noCalibrationData` when a layer asks for
    ///   activation quantization and the workbench has no calibration set.
    public func apply(_ plan: QuantPlan) throws -> QuantizedModel {
        try plan.validated(against: layerNames)
        try checkSharedWeights(plan)
        let equalization = try equalization(for: plan)
        let variant = equalization == nil ? "" : equalizationVariant(of: plan)
        var reports: [LayerReport] = []
        var overrides: [String: Tensor] = [:]
        var quantizedByLayer: [String: QuantizedWeights] = [:]
        var activations: [String: ActivationQuantization] = [:]
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            let equalized = equalization?.tensors[layer.weightName].map { (weight: $0, variant: variant) }
            let report = try layerReport(for: layer.name, settings: settings, equalized: equalized)
            reports.append(report)
            if let equalized { overrides[layer.weightName] = equalized.weight }
            if let biasName = layer.biasName, let bias = equalization?.tensors[biasName] { overrides[biasName] = bias }
            if let quantized = report.quantized {
                overrides[layer.weightName] = quantized.tensor
                quantizedByLayer[layer.name] = quantized
                if settings.biasCorrection, let corrected = try correctedBias(for: report, equalization: equalization) {
                    overrides[corrected.name] = corrected.bias
                }
            }
        }
        for site in ActivationSites.sites(graph: graph, layers: layers, settings: { plan.settings(for: $0.name) }) {
            if let source = site.source {
                activations[site.value] = activations[source]  // an average pool: its input's grid
            } else {
                activations[site.value] = try activationQuantization(
                    for: site.value, bitWidth: site.bitWidth, method: site.calibration)
            }
        }
        let removals = try filterRemovals(for: reports)
        maskRemovedFilters(removals, overrides: &overrides)
        let size = SizeModel.report(layers: layers, quantized: quantizedByLayer, allInitializers: graph.initializers)
        var model = QuantizedModel(
            plan: plan, layerReports: reports, weightOverrides: overrides, activationQuantization: activations,
            size: size, filterRemovals: removals)
        if !removals.isEmpty {
            // Sizes are those of the smaller model the exports write.
            let removed = FilterRemoval.applying(removals, to: graph, model: model).model
            model.size = removed.size
            model.size.floatBytes = size.floatBytes  // the ratio is against the whole float model
            for index in model.layerReports.indices {
                model.layerReports[index].size = removed.layerReports[index].size
                model.layerReports[index].qdqWeightBytes = removed.layerReports[index].qdqWeightBytes
            }
        }
        return model
    }
}

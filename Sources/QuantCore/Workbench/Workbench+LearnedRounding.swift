import Foundation

/// Learned rounding per layer (`"rounding": "learned"`; the method is `LearnedRounding`): the
/// layer is quantized with nearest-even rounding for its scale and zero point, then each weight's
/// up/down choice is optimised on the **float model's** inputs to the layer over the calibration
/// set (training split, never held out), sampled once per layer (`LayerInputRows`). The result is
/// the layer report itself (cached by `(layer, settings)` like any other), so evaluation, the
/// dashboard and every export use the learned codes with the quantizer's scale and zero point.
extension Layer {
    /// Why the layer cannot learn its rounding, as far as the layer itself tells (operator,
    /// weight rank), or nil; `LearnedRounding.schemeProblem` says which schemes can.
    public var learnedRoundingProblem: String? {
        guard Layer.canCorrectBias(opName: opName), weightInputIndex == 1, opName != "MatMul" || weightShape.count == 2
        else { return "a \(opName) layer cannot learn its rounding (Conv, Gemm and MatMul with a 2-D weight can)" }
        return nil
    }
}

extension LearnedRounding {
    /// Why weights of `scheme` cannot have learned rounding (not affine), or nil.
    public static func schemeProblem(_ scheme: Scheme) -> String? {
        guard codeRange(scheme, bitWidth: scheme.defaultBitWidth) == nil else { return nil }
        return "learned rounding needs an affine scheme (symmetric, symmetric-full, asymmetric, mean-std, "
            + "fixed-point), not \(scheme.rawValue)"
    }
}

extension Workbench {
    /// Why `layer` cannot learn its rounding with `settings`, or nil when it can.
    public func learnedRoundingProblem(for layer: Layer, settings: LayerSettings) -> String? {
        if let problem = layer.learnedRoundingProblem { return problem }
        guard LayerInputMean.kind(of: layer, in: graph) != nil else {
            return "a \(layer.opName) layer cannot learn its rounding (Conv, Gemm and MatMul with a 2-D weight can)"
        }
        guard settings.bitWidth != nil else { return "learned rounding needs quantized weights" }
        return LearnedRounding.schemeProblem(settings.scheme)
    }

    /// `plan` with an entry for every layer and `"rounding": "learned"` wherever the weights are
    /// quantized and the rounding can be learned (`eval`/`export --learned-rounding`).
    public func withLearnedRounding(_ plan: QuantPlan) -> QuantPlan {
        var result = plan.normalized(for: layers)
        for layer in layers {
            guard var settings = result.layers[layer.name], settings.bitWidth != nil,
                learnedRoundingProblem(for: layer, settings: settings) == nil
            else { continue }
            settings.rounding = .learned
            result.layers[layer.name] = settings
        }
        return result
    }

    /// The layers of `plan` whose learned rounding is not computed (cached) yet.
    func layersNeedingLearnedRounding(_ plan: QuantPlan) -> [Layer] {
        guard calibration?.count ?? 0 > 0 else { return [] }
        return layers.filter { layer in
            let settings = plan.settings(for: layer.name)
            guard settings.rounding == .learned, settings.bitWidth != nil,
                learnedRoundingProblem(for: layer, settings: settings) == nil
            else { return false }
            let key = LayerReportCache.Key(layer: layer.name, settings: settings)
            return lock.withLock { layerCache.report(for: key) } == nil
        }
    }

    /// Whether applying `plan` has learned roundings to compute first (seconds each).
    public func needsLearnedRounding(for plan: QuantPlan) -> Bool { !layersNeedingLearnedRounding(plan).isEmpty }

    /// Computes and caches every learned rounding `plan` needs, so `apply(plan)` is then instant.
    ///
    /// - Parameters:
    ///   - sampling: fraction of the calibration pass that samples layer inputs (when needed).
    ///   - steps: Adam steps done and in all (over every layer to learn).
    /// - Throws: `CancellationError`; `PlanError`/`QuantizationError` as `apply` would.
    public func learnRoundings(
        for plan: QuantPlan, sampling: ((Double) -> Void)? = nil, steps: ((Int, Int) -> Void)? = nil,
        isCancelled: () -> Bool = { false }
    ) throws {
        let pending = layersNeedingLearnedRounding(plan)
        guard !pending.isEmpty else { return }
        let rows = try sampleInputRows(for: pending, progress: sampling, isCancelled: isCancelled)
        // One optimisation per convolution group.
        let total = pending.reduce(0) { $0 + (rows[$1.name]?.groups ?? 1) } * learnedRoundingOptions.iterations
        var done = 0
        for layer in pending {
            let report = try learnedReport(
                for: layer, settings: plan.settings(for: layer.name),
                progress: {
                    done += $0
                    steps?(done, total)
                }, isCancelled: isCancelled)
            let key = LayerReportCache.Key(layer: layer.name, settings: report.settings)
            lock.withLock { layerCache.insert(report, for: key) }
        }
    }

    /// The input rows of each of `layers` (sampled in one float pass over the calibration set
    /// for those not sampled yet).
    @discardableResult
    func sampleInputRows(
        for layers: [Layer], progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> [String: LayerInputRows] {
        let missing = lock.withLock { layers.filter { inputRows[$0.name] == nil } }
        guard !missing.isEmpty else { return lock.withLock { inputRows } }
        guard let calibration, calibration.count > 0 else { throw EvaluationError.noCalibrationData(model: graph.name) }
        var samples: [String: LayerInputRows] = [:]
        var inputOf: [String: String] = [:]
        for layer in missing {
            guard let kind = LayerInputMean.kind(of: layer, in: graph) else { continue }
            samples[layer.name] = LayerInputRows(kind: kind)
            inputOf[layer.name] = graph.nodes[layer.nodeIndex].inputs[0]
        }
        for range in calibration.batchRanges(of: batchSize) {
            if isCancelled() { throw CancellationError() }
            defer { progress?(Double(range.upperBound) / Double(max(calibration.count, 1))) }
            let outputs = try executor.run(calibration.inputs(in: range, main: inputName), keeping: Set(inputOf.values))
            for name in samples.keys.sorted() {
                guard let layer = layer(named: name), let value = inputOf[name], let x = outputs[value],
                    let weight = graph.initializers[layer.weightName]
                else { continue }
                try samples[name]?.observe(
                    x, weight: weight, node: GraphExecutor.displayName(of: graph.nodes[layer.nodeIndex]))
            }
        }
        return lock.withLock {
            inputRows.merge(samples) { old, _ in old }
            return inputRows
        }
    }

    /// The report of `layer` with `settings` (rounding `.learned`): nearest-even parameters,
    /// learned codes.
    ///
    /// - Throws: `PlanError.invalidField` at the layer's `rounding` when the layer cannot learn its
    ///   rounding or there is no calibration set; `CancellationError`; executor errors.
    func learnedReport(
        for layer: Layer, settings: LayerSettings, progress: (Int) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> LayerReport {
        let path = PlanPath.root.appending("layers").appending(layer.name).appending("rounding")
        if let problem = learnedRoundingProblem(for: layer, settings: settings) {
            throw PlanError.invalidField(file: "", path: path.description, problem: problem)
        }
        guard calibration?.count ?? 0 > 0 else {
            throw PlanError.invalidField(
                file: "", path: path.description,
                problem: "learned rounding needs calibration data from the training split (--calibration)")
        }
        var nearestSettings = settings
        nearestSettings.rounding = .nearestEven
        var report = try layerReport(for: layer.name, settings: nearestSettings)
        guard let nearest = report.quantized, let rows = try sampleInputRows(for: [layer])[layer.name] else {
            return report
        }
        let groups = (0..<rows.groups).map { g in
            let outputs = rows.outputsPerGroup(weightShape: layer.weightShape)
            var indices: [Int] = []
            indices.reserveCapacity(outputs * rows.width)
            for o in 0..<outputs {
                for k in 0..<rows.width {
                    indices.append(rows.weightIndex(group: g, output: o, k: k, weightShape: layer.weightShape))
                }
            }
            return LearnedRounding.Group(
                x: Array(rows.rows(ofGroup: g)), rowCount: rows.count, width: rows.width, indices: indices)
        }
        var learned = try LearnedRounding.round(
            nearest, float: report.floatWeights.storage, groups: groups, options: learnedRoundingOptions,
            progress: progress, isCancelled: isCancelled)
        learned.settings = settings
        report.settings = settings
        report.quantized = learned
        report.metrics = ErrorMetrics.fast(float: report.floatWeights.storage, dequantized: learned.dequantized)
        report.size = SizeModel.layerSize(layer, quantized: learned)  // zeros may change: dense or sparse
        report.qdqWeightBytes = QDQWeightEncoding.storedBytes(of: learned, weightCount: learned.codes.count)
        return report
    }
}

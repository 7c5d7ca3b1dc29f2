import Foundation

extension Workbench {
    /// Activation quantization parameters for node output `value`, calibrated on the calibration set.
    ///
    /// Statistics come from the float model and are gathered once for every value a plan can
    /// quantize (`ActivationSites.candidates`; as onnxruntime's static quantization calibrates
    /// on the float model); each method and bit width is then a cheap computation on the
    /// stored histogram.
    public func activationQuantization(
        for value: String, bitWidth: Int, method: CalibrationMethod
    ) throws -> ActivationQuantization {
        let calibrators = try activationStatistics()
        guard let calibrator = calibrators[value] else {
            throw GraphError.unknownValue(node: "calibration", value: value)
        }
        return try calibrator.quantization(method: method, bitWidth: bitWidth)
    }

    /// Whether applying `plan` needs activation statistics or (for bias correction) layer input
    /// means that are not gathered yet.
    public func needsCalibration(for plan: QuantPlan) -> Bool {
        if needsInputMeans(for: plan) { return true }
        guard calibration != nil, lock.withLock({ calibrators == nil }) else { return false }
        return layers.contains { plan.settings(for: $0.name).activationBits != nil }
    }

    /// Gathers what applying `plan` needs from the calibration set and is not gathered yet:
    /// activation statistics and layer input means, one float pass each, `progress` over both.
    public func calibrate(
        for plan: QuantPlan, progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws {
        let needsMeans = needsInputMeans(for: plan)
        let needsStatistics =
            lock.withLock({ calibrators == nil })
            && layers.contains { plan.settings(for: $0.name).activationBits != nil }
        let passes = Double((needsMeans ? 1 : 0) + (needsStatistics ? 1 : 0))
        if needsStatistics {
            try activationStatistics(progress: { progress?($0 / passes) }, isCancelled: isCancelled)
        }
        if needsMeans {
            let done = needsStatistics ? 1.0 : 0.0
            try layerInputMeans(progress: { progress?((done + $0) / passes) }, isCancelled: isCancelled)
        }
    }

    /// Statistics over the calibration set of every value a plan can quantize (each layer's
    /// output and each Add joining two of them: `ActivationSites.candidates`), computed once.
    ///
    /// - Parameters:
    ///   - progress: fraction of calibration samples done, after each batch.
    ///   - isCancelled: checked before each batch; a cancelled run keeps nothing.
    @discardableResult
    public func activationStatistics(
        progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> [String: ActivationCalibrator] {
        if let cached = lock.withLock({ calibrators }) { return cached }
        guard let calibration else { throw EvaluationError.noCalibrationData(model: graph.name) }
        let values = ActivationSites.candidates(graph: graph, layers: layers)
        var result: [String: ActivationCalibrator] = [:]
        for value in values { result[value] = try ActivationCalibrator() }
        for range in calibration.batchRanges(of: batchSize) {
            if isCancelled() { throw CancellationError() }
            defer { progress?(Double(range.upperBound) / Double(max(calibration.count, 1))) }
            let outputs = try executor.run(calibration.inputs(in: range, main: inputName), keeping: values)
            for value in values.sorted() {
                guard let tensor = outputs[value] else { continue }
                tensor.storage.withUnsafeBufferPointer { result[value]?.observe($0) }
            }
        }
        lock.withLock { calibrators = result }
        return result
    }
}

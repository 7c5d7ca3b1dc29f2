import CKernels

/// What running the integer model on the held-out set gave, beside the fake-quantized model.
public struct IntegerEvaluation: Sendable, Equatable {
    /// Samples evaluated and those the integer model classifies correctly.
    public var count: Int
    public var correct: Int
    /// Samples the fake-quantized model classifies correctly.
    public var fakeQuantizedCorrect: Int
    /// Samples whose integer prediction differs from the fake-quantized model's.
    public var differingPredictions: Int
    /// The largest |integer − fake-quantized| output, in steps of the output's scale.
    public var maxOutputSteps: Float
    /// The quantization of the float input (calibrated on the calibration set).
    public var inputQuantization: ActivationQuantization
    /// The integer GEMM variant that ran (`avx2` or `scalar`).
    public var kernel: String
    /// How the layers requantized (onnxruntime's float multiplier or TFLite's fixed point).
    public var requantization: Requantization = .float
    /// Layers whose int32 bias saturated (`IntegerModel.layersWithSaturatedBias`).
    public var saturatedBiasLayers: [String] = []

    /// Integer top-1.
    public var top1: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    /// Fake-quantized top-1 on the same samples.
    public var fakeQuantizedTop1: Double { count == 0 ? 0 : Double(fakeQuantizedCorrect) / Double(count) }
}

extension Workbench {
    /// The 8-bit quantization of the model input: min/max over the calibration set, unsigned
    /// (scale `max / 255`) when no value is negative, else signed symmetric (`max|x| / 127`).
    ///
    /// - Throws: `EvaluationError.noCalibrationData` without calibration data.
    public func integerInputQuantization() throws -> ActivationQuantization {
        guard let calibration else { throw EvaluationError.noCalibrationData(model: graph.name) }
        var (lowest, highest) = (Float.infinity, -Float.infinity)
        for range in calibration.batchRanges(of: batchSize) {
            for value in try calibration.images(in: range).storage where value.isFinite {
                lowest = min(lowest, value)
                highest = max(highest, value)
            }
        }
        guard lowest <= highest else { return try ActivationQuantization(scale: 1, bitWidth: 8, isSigned: false) }
        let isSigned = lowest < 0
        return try ActivationQuantization(threshold: max(abs(lowest), abs(highest)), bitWidth: 8, isSigned: isSigned)
    }

    /// Why `plan` has no int8 form on this model, decided from the graph and the plan alone,
    /// before any calibration or evaluation (`IntegerLowering.check`); `nil` when it may have one.
    public func integerRefusal(for plan: QuantPlan) -> String? {
        IntegerLowering.check(graph: graph, plan: plan, layers: layers, outputName: outputName)
    }

    /// `plan` applied and lowered to integers. What the graph and plan alone rule out is refused
    /// before calibrating (`integerRefusal(for:)`), so a model that cannot run as integers costs
    /// no float pass.
    ///
    /// `requantization` picks how its Conv / Gemm / MatMul layers requantize (onnxruntime's float
    /// multiplier by default, or TFLite's fixed point).
    ///
    /// - Throws: `IntegerLoweringError` (one line) when the plan has no int8 form, and the errors of `apply`.
    public func integerModel(
        for plan: QuantPlan, requantization: Requantization = .float
    ) throws -> (QuantizedModel, IntegerModel) {
        if let reason = integerRefusal(for: plan) { throw IntegerLoweringError(reason) }
        try calibrate(for: plan)
        let quantized = try apply(plan)
        for report in quantized.layerReports {
            if let reason = IntegerLowering.refusal(for: report) { throw IntegerLoweringError(reason) }
        }
        var model = try IntegerLowering.lower(
            graph: graph, quantized: quantized, inputQuantization: try integerInputQuantization(),
            outputName: outputName)
        model.requantization = requantization
        model.threads = threadCount  // each layer split over the evaluation's threads
        return (quantized, model)
    }

    /// Runs `integer` and the fake-quantized `quantized` on the held-out set and compares them.
    ///
    /// - Parameters:
    ///   - progress: fraction of samples done, after each batch.
    ///   - isCancelled: checked before each batch.
    /// - Throws: `CancellationError` when cancelled; what either model throws.
    public func evaluateInteger(
        _ integer: IntegerModel, quantized: QuantizedModel, progress: ((Double) -> Void)? = nil,
        isCancelled: () -> Bool = { false }
    ) throws -> IntegerEvaluation {
        var result = IntegerEvaluation(
            count: 0, correct: 0, fakeQuantizedCorrect: 0, differingPredictions: 0, maxOutputSteps: 0,
            inputQuantization: integer.inputQuantization, kernel: integer.variant.resolvedName,
            requantization: integer.requantization, saturatedBiasLayers: integer.layersWithSaturatedBias)
        for range in heldOut.batchRanges(of: batchSize) {
            if isCancelled() { throw CancellationError() }
            let batch = try heldOut.images(in: range)
            let codes = try integer.outputCodes(batch)
            let (integerLogits, fakeLogits) = try comparedLogits(
                codes, batch: batch, integer: integer, quantized: quantized)
            let classes = integerLogits.count / max(range.count, 1)
            guard fakeLogits.count == integerLogits.count, classes > 0 else {
                throw IntegerLoweringError(
                    "the integer model's output has \(integerLogits.count) values, the model's \(fakeLogits.count)")
            }
            let scale = codes.quantization.scale
            for (offset, sample) in range.enumerated() {
                let rows = (offset * classes)..<((offset + 1) * classes)
                let ours = EvaluationMetrics.argmax(integerLogits.storage[rows])
                let fake = EvaluationMetrics.argmax(fakeLogits.storage[rows])
                let label = heldOut.labels[sample]
                result.correct += ours == label ? 1 : 0
                result.fakeQuantizedCorrect += fake == label ? 1 : 0
                result.differingPredictions += ours == fake ? 0 : 1
                for index in rows {
                    result.maxOutputSteps = max(
                        result.maxOutputSteps, abs(integerLogits.storage[index] - fakeLogits.storage[index]) / scale)
                }
            }
            result.count += range.count
            progress?(Double(range.upperBound) / Double(max(heldOut.count, 1)))
        }
        return result
    }

    /// The integer and fake-quantized logits of `batch`: the classifier logits of the output, or,
    /// when the integer model ends before the graph's final Softmax, the logits that Softmax reads
    /// in both models (the same argmax; steps compared on the logits, not the probabilities).
    private func comparedLogits(
        _ codes: IntegerTensor, batch: Tensor, integer: IntegerModel, quantized: QuantizedModel
    ) throws -> (Tensor, Tensor) {
        guard integer.outputName != outputName else {
            return (graph.classifierLogits(codes.dequantized()), try logits(for: batch, model: quantized))
        }
        let outputs = try executor.run(
            [inputName: batch], weightOverrides: quantized.weightOverrides,
            activationQuantization: quantized.activationQuantization, keeping: [integer.outputName])
        guard let fake = outputs[integer.outputName] else { throw GraphError.missingOutput(integer.outputName) }
        func rows(_ tensor: Tensor) -> Tensor {
            let samples = max(tensor.shape.first ?? 1, 1)
            return tensor.reshaped([samples, tensor.storage.count / samples])
        }
        return (rows(codes.dequantized()), rows(fake))
    }
}

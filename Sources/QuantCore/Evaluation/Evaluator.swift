/// Evaluates a classifier on a data set in batches, deterministically.
///
/// The model is any forward function from a batch of samples `[B, ...]` to logits
/// `[B, classes]`; callers wrap a `GraphExecutor` (or a quantized variant) in a closure, so
/// evaluation does not depend on how the model runs:
///
/// ```swift
/// let report = try Evaluator().evaluate(heldOut, reference: floatPredictions) { batch in
///     try executor.run(batch)   // [B, 1, 28, 28] → [B, 10]
/// }
/// ```
///
/// Results do not depend on the batch size as long as the forward function treats each sample
/// independently: metrics are accumulated per sample, in sample order, in `Double`.
public struct Evaluator: Sendable {
    /// The default number of samples per forward call.
    public static let defaultBatchSize = 250

    /// Samples per forward call (the last batch may be smaller).
    public var batchSize: Int

    /// Creates an evaluator that feeds the model `batchSize` samples at a time.
    public init(batchSize: Int = Evaluator.defaultBatchSize) {
        self.batchSize = batchSize
    }

    /// Runs `forward` over `dataset` in batches and reports top-1, top-5, NLL and agreement.
    ///
    /// - Parameters:
    ///   - dataset: the samples; `isExact` in the report is `dataset.isComplete`.
    ///   - reference: predictions to compare with, one per sample of `dataset` (for a subset,
    ///     cut the full set's with `Array(reference[dataset.sourceRange])`); `nil` for none.
    ///   - progress: called after each batch with the fraction of samples done, ending at 1.
    ///   - isCancelled: checked before each batch, as is the current task's cancellation.
    ///   - forward: maps a batch `[B, ...]` to logits `[B, classes]`, classes ≥ `dataset.classCount`.
    /// - Throws: `CancellationError` when cancelled; `EvaluationError` for an empty data set, a
    ///   batch size below 1, a reference of the wrong length or logits of the wrong shape;
    ///   anything `forward` throws.
    /// - Complexity: one forward call per batch plus O(count · classes).
    public func evaluate(
        _ dataset: Dataset,
        reference: [Int]? = nil,
        progress: ((Double) -> Void)? = nil,
        isCancelled: () -> Bool = { false },
        forward: (Tensor) throws -> Tensor
    ) throws -> EvalReport {
        guard batchSize >= 1 else { throw EvaluationError.invalidBatchSize(batchSize) }
        guard dataset.count > 0 else { throw EvaluationError.emptyDataset(dataset: dataset.name) }
        if let reference, reference.count != dataset.count {
            throw EvaluationError.referenceCountMismatch(
                dataset: dataset.name, expected: dataset.count, got: reference.count)
        }
        var accumulator = Accumulator(dataset: dataset)
        for range in dataset.batchRanges(of: batchSize) {
            if Task.isCancelled || isCancelled() { throw CancellationError() }
            try accumulator.add(forward(dataset.images(in: range)), for: range)  // [B, classes]
            progress?(Double(range.upperBound) / Double(dataset.count))
        }
        return accumulator.report(reference: reference)
    }

    /// Reports on logits already computed, one `[B, classes]` tensor per batch of
    /// `dataset.batchRanges(of: batchSize)`, in order (e.g. by `Workbench`'s parallel runs).
    ///
    /// - Throws: `EvaluationError` for an empty data set, a batch size below 1, a reference of
    ///   the wrong length, a wrong number of batches or logits of the wrong shape.
    public func evaluate(_ dataset: Dataset, reference: [Int]? = nil, batchLogits: [Tensor]) throws -> EvalReport {
        try check(dataset, reference: reference)
        let ranges = dataset.batchRanges(of: batchSize)
        guard ranges.count == batchLogits.count else {
            throw EvaluationError.logitsShape(
                dataset: dataset.name, batch: 0..<dataset.count, expected: "\(ranges.count) batches",
                got: [batchLogits.count])
        }
        let batches = try zip(ranges, batchLogits).map { try Evaluator.metrics(of: $1, for: $0, in: dataset) }
        return try evaluate(dataset, reference: reference, batches: batches)
    }

    /// Reports on the metrics of every batch of `dataset.batchRanges(of: batchSize)`, in order,
    /// each computed by `metrics(of:for:in:)` where its batch ran: the same report, bit for bit,
    /// as from the logits (the negative log-likelihoods are summed here, in sample order).
    ///
    /// - Throws: `EvaluationError` for an empty data set, a batch size below 1, a reference of
    ///   the wrong length or batches that do not cover the data set in order.
    public func evaluate(_ dataset: Dataset, reference: [Int]? = nil, batches: [BatchMetrics]) throws -> EvalReport {
        try check(dataset, reference: reference)
        let ranges = dataset.batchRanges(of: batchSize)
        guard batches.map(\.range) == ranges else {
            throw EvaluationError.logitsShape(
                dataset: dataset.name, batch: 0..<dataset.count, expected: "\(ranges.count) batches",
                got: [batches.count])
        }
        var accumulator = Accumulator(dataset: dataset)
        for batch in batches { accumulator.add(batch) }
        return accumulator.report(reference: reference)
    }

    /// The checks every evaluation starts with.
    private func check(_ dataset: Dataset, reference: [Int]?) throws {
        guard batchSize >= 1 else { throw EvaluationError.invalidBatchSize(batchSize) }
        guard dataset.count > 0 else { throw EvaluationError.emptyDataset(dataset: dataset.name) }
        if let reference, reference.count != dataset.count {
            throw EvaluationError.referenceCountMismatch(
                dataset: dataset.name, expected: dataset.count, got: reference.count)
        }
    }

    /// One batch's per-sample results: what `evaluate` needs of its logits.
    public struct BatchMetrics: Sendable {
        /// The samples of the data set the batch holds.
        public let range: Range<Int>
        /// The predicted class of each sample.
        public let predictions: [Int]
        /// How many predictions equal the label.
        public let correctCount: Int
        /// How many labels are among the five highest logits.
        public let top5CorrectCount: Int
        /// Each sample's negative log-likelihood of its label (NaN or ∞ for a non-finite row).
        public let negativeLogLikelihoods: [Double]
        /// How many samples have a NaN or infinite logit.
        public let nonFiniteCount: Int
        /// The first such sample, as an index into the data set.
        public let firstNonFinite: Int?
        /// Fidelity sums against the float model's outputs on the same samples, when measured.
        public var fidelity: FidelitySums?
        /// The batch's raw output values, `[B, ...]` flattened, when kept (fidelity references
        /// and nearest neighbours of small outputs).
        var rows: [Float]?
    }

    /// The per-sample results of `logits` `[B, classes]` for the samples `range` of `dataset`;
    /// safe to compute on any thread, batch by batch.
    ///
    /// - Throws: `EvaluationError.logitsShape` for logits of the wrong shape.
    public static func metrics(of logits: Tensor, for range: Range<Int>, in dataset: Dataset) throws -> BatchMetrics {
        guard logits.rank == 2, logits.shape[0] == range.count, logits.shape[1] >= dataset.classCount else {
            throw EvaluationError.logitsShape(
                dataset: dataset.name, batch: range,
                expected: "[\(range.count), classes] with classes ≥ \(dataset.classCount)", got: logits.shape)
        }
        let classes = logits.shape[1]
        var predictions: [Int] = []
        var likelihoods: [Double] = []
        predictions.reserveCapacity(range.count)
        likelihoods.reserveCapacity(range.count)
        var correct = 0
        var top5 = 0
        var nonFinite = 0
        var firstNonFinite: Int?
        for (row, label) in dataset.labels[range].enumerated() {
            let rowLogits = logits.storage[(row * classes)..<((row + 1) * classes)]
            if rowLogits.contains(where: { !$0.isFinite }) {
                nonFinite += 1
                if firstNonFinite == nil { firstNonFinite = range.lowerBound + row }
            }
            let prediction = EvaluationMetrics.argmax(rowLogits)
            predictions.append(prediction)
            if prediction == label { correct += 1 }
            if EvaluationMetrics.isInTopK(rowLogits, label: label, k: 5) { top5 += 1 }
            likelihoods.append(EvaluationMetrics.negativeLogLikelihood(rowLogits, label: label))
        }
        return BatchMetrics(
            range: range, predictions: predictions, correctCount: correct, top5CorrectCount: top5,
            negativeLogLikelihoods: likelihoods, nonFiniteCount: nonFinite, firstNonFinite: firstNonFinite)
    }

    /// Per-sample metrics summed in sample order, in `Double`.
    private struct Accumulator {
        let dataset: Dataset
        var predictions: [Int] = []
        var correctCount = 0
        var top5CorrectCount = 0
        var totalNLL = 0.0
        var finiteCount = 0
        var nonFiniteCount = 0
        var firstNonFinite: Int?
        /// The fidelity sums, while every batch has them.
        var fidelity: FidelitySums? = FidelitySums()

        init(dataset: Dataset) {
            self.dataset = dataset
            predictions.reserveCapacity(dataset.count)
        }

        /// Adds the logits `[B, classes]` of the samples in `range`.
        mutating func add(_ logits: Tensor, for range: Range<Int>) throws {
            add(try Evaluator.metrics(of: logits, for: range, in: dataset))
        }

        /// Adds one batch's results (the next samples in order).
        mutating func add(_ batch: BatchMetrics) {
            predictions += batch.predictions
            correctCount += batch.correctCount
            top5CorrectCount += batch.top5CorrectCount
            // Only finite likelihoods are averaged, so one NaN row cannot turn the mean into NaN.
            for likelihood in batch.negativeLogLikelihoods where likelihood.isFinite {
                totalNLL += likelihood
                finiteCount += 1
            }
            nonFiniteCount += batch.nonFiniteCount
            if firstNonFinite == nil { firstNonFinite = batch.firstNonFinite }
            if let sums = batch.fidelity { fidelity?.add(sums) } else { fidelity = nil }
        }

        /// The report, with agreement against `reference` when given.
        func report(reference: [Int]?) -> EvalReport {
            let count = Double(dataset.count)
            let agreement = reference.map { reference in
                Double(zip(predictions, reference).filter { $0 == $1 }.count) / count
            }
            var report = EvalReport(
                top1: Double(correctCount) / count,
                top5: Double(top5CorrectCount) / count,
                meanNLL: finiteCount > 0 ? totalNLL / Double(finiteCount) : 0,
                agreement: agreement,
                count: dataset.count,
                correctCount: correctCount,
                top5CorrectCount: top5CorrectCount,
                predictions: predictions,
                top1Interval: EvaluationMetrics.wilsonInterval(successes: correctCount, trials: dataset.count),
                isExact: dataset.isComplete)
            report.hasLabels = dataset.hasLabels
            if let fidelity, fidelity.count == dataset.count { report.fidelity = fidelity.fidelity() }
            if let firstNonFinite, nonFiniteCount > 0 {
                report.nonFinite = NonFiniteOutputs(sampleCount: nonFiniteCount, firstSample: firstNonFinite)
            }
            return report
        }
    }
}

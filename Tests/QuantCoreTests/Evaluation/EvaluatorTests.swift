import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The evaluator on data whose samples *are* their logits: the forward function is the identity,
/// so every expected number can be worked out by hand.
@Suite struct EvaluatorTests {
    private func logitsDataset(_ rows: [[Float]], labels: [Int], classCount: Int? = nil) throws -> Dataset {
        try Dataset(
            name: "hand", images: Tensor(shape: [rows.count, rows[0].count], storage: rows.flatMap { $0 }),
            labels: labels, classCount: classCount ?? rows[0].count)
    }

    private let identity: (Tensor) throws -> Tensor = { $0 }

    @Test func handComputedMetrics() throws {
        // Row 0: logits [2, 1, 0], label 0 → argmax 0, correct.
        //   NLL = log(e² + e¹ + e⁰) − 2 = log(1 + e⁻¹ + e⁻²) = log(1.503214724) = 0.407605964
        // Row 1: logits [0, 0, 3], label 1 → argmax 2, wrong.
        //   NLL = log(e⁰ + e⁰ + e³) − 0 = log(2 + 20.085536923) = log(22.085536923) = 3.094922956
        // top-1 = 1/2 = 0.5; mean NLL = (0.407605964 + 3.094922956) / 2 = 1.751264460
        // top-5 with only 3 classes: every label is in the top 5 → 1.0
        let data = try logitsDataset([[2, 1, 0], [0, 0, 3]], labels: [0, 1])
        let report = try Evaluator().evaluate(data, forward: identity)
        #expect(report.top1 == 0.5)
        #expect(report.correctCount == 1)
        #expect(report.count == 2)
        #expect(report.predictions == [0, 2])
        #expect(abs(report.meanNLL - 1.751264460) < 1e-8)
        #expect(report.top5 == 1 && report.top5CorrectCount == 2)
        #expect(report.agreement == nil)
        #expect(report.isExact)
    }

    @Test func topFiveWithMoreClasses() throws {
        // 7 classes with logits 6, 5, …, 0: class c has rank c.
        // Label 4 (rank 4) is in the top 5; label 5 (rank 5) and 6 are not → top-5 = 2/4 (labels 0, 4 hit).
        let row: [Float] = [6, 5, 4, 3, 2, 1, 0]
        let data = try logitsDataset([row, row, row, row], labels: [0, 4, 5, 6])
        let report = try Evaluator().evaluate(data, forward: identity)
        #expect(report.top5CorrectCount == 2)
        #expect(report.top5 == 0.5)
        #expect(report.top1 == 0.25)
    }

    @Test func tiesGoToTheLowestIndex() throws {
        // [1, 1, 0] label 1: argmax is 0 (tie with 1, lower index wins) → wrong.
        // [3, 3, 3] label 0: argmax 0 → right. [0, 2, 2] label 2: argmax 1 → wrong.
        let data = try logitsDataset([[1, 1, 0], [3, 3, 3], [0, 2, 2]], labels: [1, 0, 2])
        let report = try Evaluator().evaluate(data, forward: identity)
        #expect(report.predictions == [0, 0, 1])
        #expect(report.correctCount == 1)
        // All-equal logits: NLL = log 3 = 1.098612289.
        #expect(abs(EvaluationMetrics.negativeLogLikelihood([3, 3, 3], label: 0) - 1.098612289) < 1e-9)
    }

    @Test func agreementWithReference() throws {
        // Predictions [0, 2, 1, 1]; reference [0, 1, 1, 1] agrees on 3 of 4.
        let data = try logitsDataset([[5, 0, 0], [0, 0, 5], [0, 5, 0], [0, 5, 0]], labels: [0, 0, 0, 0])
        let report = try Evaluator().evaluate(data, reference: [0, 1, 1, 1], forward: identity)
        #expect(report.predictions == [0, 2, 1, 1])
        #expect(report.agreement == 0.75)
        #expect(try Evaluator().evaluate(data, reference: report.predictions, forward: identity).agreement == 1)
        let mismatch = EvaluationError.referenceCountMismatch(dataset: "hand", expected: 4, got: 2)
        #expect(throws: mismatch) { try Evaluator().evaluate(data, reference: [0, 1], forward: identity) }
        #expect(mismatch.description == "hand: 2 reference predictions for 4 samples")
    }

    @Test func wilsonIntervalMatchesHandComputation() throws {
        // k = 8, n = 10, p = 0.8, z = 1.959963985, z² = 3.841458821
        // center = (p + z²/2n) / (1 + z²/n) = (0.8 + 0.192072941) / 1.384145882 = 0.716740160
        // half   = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²) = 1.416011 · √(0.016 + 0.009603647) = 0.226577689
        // interval = [0.490162472, 0.943317849]
        let interval = EvaluationMetrics.wilsonInterval(successes: 8, trials: 10)
        #expect(abs(interval.lowerBound - 0.490162472) < 1e-8)
        #expect(abs(interval.upperBound - 0.943317849) < 1e-8)
        // k = 0: center = half = (z²/2n) / (1 + z²/n) → [0, 2 · 0.138766400] = [0, 0.277532800]
        let none = EvaluationMetrics.wilsonInterval(successes: 0, trials: 10)
        #expect(none.lowerBound == 0 && abs(none.upperBound - 0.277532800) < 1e-8)
        #expect(EvaluationMetrics.wilsonInterval(successes: 0, trials: 0) == 0...1)
        let all = EvaluationMetrics.wilsonInterval(successes: 10, trials: 10)
        #expect(abs(all.lowerBound - (1 - 0.277532800)) < 1e-8 && all.upperBound == 1)

        // The report carries it for top-1: 8 right of 10.
        let rows = (0..<10).map { i -> [Float] in i < 8 ? [1, 0] : [0, 1] }
        let report = try Evaluator().evaluate(
            try logitsDataset(rows, labels: [Int](repeating: 0, count: 10)), forward: identity)
        #expect(report.top1 == 0.8 && report.top1Interval == interval)
    }

    @Test func sameReportForAnyBatchSize() throws {
        var generator = SplitMix64(seed: 7)
        let rows = (0..<1000).map { _ in (0..<10).map { _ in generator.nextGaussian() * 3 } }
        let labels = (0..<1000).map { _ in Int(generator.next() % 10) }
        let data = try logitsDataset(rows, labels: labels)
        let reference = (0..<1000).map { _ in Int(generator.next() % 10) }
        // A per-row model: scale and shift each logit.
        let model: (Tensor) throws -> Tensor = { batch in
            Tensor(shape: batch.shape, storage: batch.storage.map { 1.5 * $0 - 0.25 })
        }
        let reports = try [1, 7, 250, 1000, 5000].map { size in
            try Evaluator(batchSize: size).evaluate(data, reference: reference, forward: model)
        }
        for report in reports.dropFirst() { #expect(report == reports[0]) }
        #expect(reports[0].count == 1000)
        // Cross-check the accumulated numbers against the per-row reference functions.
        let expectedNLL =
            zip(rows, labels).map { row, label in
                EvaluationMetrics.negativeLogLikelihood(row.map { 1.5 * $0 - 0.25 }, label: label)
            }.reduce(0, +) / 1000
        #expect(reports[0].meanNLL == expectedNLL)
        #expect(reports[0].predictions == rows.map { EvaluationMetrics.argmax($0) })
    }

    /// Metrics computed batch by batch (as `Workbench`'s workers do, in any order) give the same
    /// report, bit for bit, as the logits; batches that do not cover the set in order are refused.
    @Test func perBatchMetricsGiveTheSameReport() throws {
        var generator = SplitMix64(seed: 11)
        let rows = (0..<1000).map { _ in (0..<10).map { _ in generator.nextGaussian() * 3 } }
        let labels = (0..<1000).map { _ in Int(generator.next() % 10) }
        let data = try logitsDataset(rows, labels: labels)
        let reference = (0..<1000).map { _ in Int(generator.next() % 10) }
        let evaluator = Evaluator(batchSize: 128)
        let ranges = data.batchRanges(of: 128)
        let logits = try ranges.map { try data.subset($0).images }
        let viaLogits = try evaluator.evaluate(data, reference: reference, batchLogits: logits)
        let batches = try zip(ranges, logits).reversed().map { try Evaluator.metrics(of: $1, for: $0, in: data) }
        let viaBatches = try evaluator.evaluate(data, reference: reference, batches: batches.reversed())
        #expect(viaBatches == viaLogits)
        #expect(viaBatches.meanNLL.bitPattern == viaLogits.meanNLL.bitPattern)
        #expect(viaBatches == (try evaluator.evaluate(data, reference: reference, forward: identity)))
        #expect(throws: EvaluationError.self) { try evaluator.evaluate(data, batches: batches) }  // out of order
        #expect(throws: EvaluationError.self) { try evaluator.evaluate(data, batches: Array(batches.dropLast())) }
        #expect(throws: EvaluationError.self) {
            try Evaluator.metrics(of: Tensor(shape: [3, 10], repeating: 0), for: 0..<4, in: data)
        }
    }

    @Test func subsetsGiveEstimates() throws {
        let data = try logitsDataset([[1, 0], [0, 1], [1, 0], [1, 0]], labels: [0, 1, 1, 0])
        let estimate = try Evaluator().evaluate(data.first(2), forward: identity)
        #expect(!estimate.isExact && estimate.count == 2 && estimate.top1 == 1)
        let exact = try Evaluator().evaluate(data, forward: identity)
        #expect(exact.isExact && exact.top1 == 0.75)
    }

    @Test func progressIsReportedPerBatch() throws {
        let data = try logitsDataset([[1, 0], [0, 1], [1, 0], [1, 0], [0, 1]], labels: [0, 1, 1, 0, 0])
        var fractions: [Double] = []
        _ = try Evaluator(batchSize: 2).evaluate(data, progress: { fractions.append($0) }, forward: identity)
        #expect(fractions == [0.4, 0.8, 1.0])
    }

    @Test func cancellationStopsBeforeTheNextBatch() throws {
        let data = try logitsDataset([[1, 0], [0, 1], [1, 0], [1, 0], [0, 1]], labels: [0, 1, 1, 0, 0])
        var calls = 0
        #expect(throws: CancellationError.self) {
            try Evaluator(batchSize: 2).evaluate(data, isCancelled: { calls > 0 }) { batch in
                calls += 1
                return batch
            }
        }
        #expect(calls == 1)
    }

    @Test func taskCancellationIsHonoured() async throws {
        let data = try logitsDataset([[1, 0], [0, 1], [1, 0]], labels: [0, 1, 1])
        let task = Task {
            try Evaluator(batchSize: 1).evaluate(data) { batch in
                // A newer evaluation cancels this one while its first batch runs.
                withUnsafeCurrentTask { $0?.cancel() }
                return batch
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func logitsOfTheWrongShapeAreReported() throws {
        let data = try logitsDataset([[1, 0, 0], [0, 1, 0], [0, 0, 1]], labels: [0, 1, 2])
        let flat = EvaluationError.logitsShape(
            dataset: "hand", batch: 0..<2, expected: "[2, classes] with classes ≥ 3", got: [6])
        #expect(throws: flat) {
            try Evaluator(batchSize: 2).evaluate(data) { Tensor(shape: [$0.count], storage: $0.storage) }
        }
        #expect(
            flat.description
                == "hand: samples 0..<2: the model returned logits of shape [6], expected [2, classes] with classes ≥ 3"
        )
        #expect(
            throws: EvaluationError.logitsShape(
                dataset: "hand", batch: 0..<3, expected: "[3, classes] with classes ≥ 3", got: [3, 2])
        ) {
            try Evaluator().evaluate(data) { _ in Tensor(shape: [3, 2], repeating: 0) }
        }
        #expect(
            throws: EvaluationError.logitsShape(
                dataset: "hand", batch: 2..<3, expected: "[1, classes] with classes ≥ 3", got: [2, 3])
        ) {
            try Evaluator(batchSize: 2).evaluate(data) { _ in Tensor(shape: [2, 3], repeating: 0) }
        }
    }

    @Test func invalidRequests() throws {
        let data = try logitsDataset([[1, 0]], labels: [0])
        #expect(throws: EvaluationError.invalidBatchSize(0)) {
            try Evaluator(batchSize: 0).evaluate(data, forward: identity)
        }
        #expect(throws: EvaluationError.emptyDataset(dataset: "hand")) {
            try Evaluator().evaluate(data.first(0), forward: identity)
        }
        struct ModelFailed: Error, Equatable {}
        #expect(throws: ModelFailed()) { try Evaluator().evaluate(data) { _ in throw ModelFailed() } }
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let data = try logitsDataset([[2, 1, 0], [0, 0, 3]], labels: [0, 1])
        let report = try Evaluator().evaluate(data.first(1), reference: [0], forward: identity)
        let decoded = try JSONDecoder().decode(EvalReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}

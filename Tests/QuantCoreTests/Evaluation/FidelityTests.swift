import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Fidelity to the float model: the per-batch sums against plain formulas, nearest-neighbour
/// agreement on rows whose neighbours are known, and the workbench's streamed measurement
/// against a whole-set computation, with the float reference kept or recomputed.
@Suite struct FidelityTests {
    /// KL(softmax(p) ‖ softmax(q)) written out plainly.
    static func plainKL(_ p: [Float], _ q: [Float]) -> Double {
        let pe = p.map { exp(Double($0)) }, qe = q.map { exp(Double($0)) }
        let ps = pe.reduce(0, +), qs = qe.reduce(0, +)
        return zip(pe, qe).reduce(0) { sum, pair in
            let (a, b) = (pair.0 / ps, pair.1 / qs)
            return sum + a * log(a / b)
        }
    }

    @Test func batchSumsFollowThePlainFormulas() {
        let reference = Tensor(shape: [3, 2], storage: [1, 0, 0, 1, 2, -1])
        let output = Tensor(shape: [3, 2], storage: [1, 0, 0, 2, -1, 1])
        let sums = FidelitySums(output: output, reference: reference, logits: output, referenceLogits: reference)
        let fidelity = sums.fidelity()
        #expect(sums.count == 3 && sums.agreeing == 2 && sums.finiteCount == 3)
        #expect(fidelity.agreement == 2.0 / 3)
        // Cosines: 1, 1 and (−2 − 1) / (√5 · √2).
        #expect(abs(fidelity.cosine - (2 - 3 / 10.0.squareRoot()) / 3) < 1e-12)
        // Σ error² = 0 + 1 + 9 + 4; Σ reference² = 1 + 1 + 5.
        #expect(abs(fidelity.relativeMSE - 14.0 / 7) < 1e-12)
        let kl = (0..<3).map { row in
            Self.plainKL(
                Array(reference.storage[(row * 2)..<(row * 2 + 2)]), Array(output.storage[(row * 2)..<(row * 2 + 2)]))
        }
        #expect(abs((fidelity.kl ?? .nan) - kl.reduce(0, +) / 3) < 1e-12)
        #expect(kl[0] == 0 && kl[1] > 0)
    }

    @Test func identicalOutputsAreIdenticalAndNonFiniteRowsAreLeftOut() {
        let values: [Float] = [0.5, -2, 3, 0, 0, 0]
        let same = Tensor(shape: [2, 3], storage: values)
        let fidelity = FidelitySums(output: same, reference: same, logits: same, referenceLogits: same).fidelity()
        #expect(fidelity == Fidelity(agreement: 1, kl: 0, cosine: 1, relativeMSE: 0))
        let broken = Tensor(shape: [2, 3], storage: [.nan, 1, 1, 0, 0, 0])
        let sums = FidelitySums(output: broken, reference: same, logits: broken, referenceLogits: same)
        #expect(sums.count == 2 && sums.finiteCount == 1)
        #expect(sums.fidelity().cosine == 1 && sums.fidelity().relativeMSE == 0)
        let none = FidelitySums(
            output: Tensor(shape: [1, 3], storage: [.nan, 0, 0]),
            reference: Tensor(shape: [1, 3], storage: [1, 0, 0]),
            logits: Tensor(shape: [1, 3], storage: [.nan, 0, 0]),
            referenceLogits: Tensor(shape: [1, 3], storage: [1, 0, 0]))
        #expect(none.fidelity().cosine.isNaN && none.fidelity().kl?.isNaN == true)
    }

    @Test func neighbourAgreementCountsSamplesWhoseNearestNeighbourStays() throws {
        // Three pairs of nearby directions: each row's nearest neighbour is its pair's other row.
        let reference: [Float] = [1, 0, 0, 1, 0.1, 0, 0, 1, 0, 0.1, 1, 0, 0, 0, 1, 0, 0.1, 1]
        // Scaling rows changes no cosine: every neighbour stays.
        let scaled = reference.enumerated().map { $0.element * Float(1 + $0.offset / 3) }
        #expect(FidelitySums.neighbourAgreement(reference: reference, output: scaled, count: 6, width: 3) == 1)
        // Row 1 moves next to row 4: rows 0, 1 and 4 get new nearest neighbours (3, 4 and 1).
        var moved = reference
        moved.replaceSubrange(3..<6, with: [0.05, 0, 1])
        let agreement = try #require(
            FidelitySums.neighbourAgreement(reference: reference, output: moved, count: 6, width: 3))
        #expect(agreement == 0.5)
        #expect(FidelitySums.neighbourAgreement(reference: [1, 0], output: [1, 0], count: 2, width: 1) == nil)
    }

    /// A workbench over the demo digits; without labels when `labeled` is false.
    static func workbench(_ model: BundledModel, labeled: Bool, referenceBytes: Int? = nil) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try model.url)
        var heldOut = try DemoData.heldOutSet().first(300)
        if !labeled {
            heldOut = try Dataset(
                name: "unlabeled", images: heldOut.images, labels: [Int](repeating: 0, count: heldOut.count),
                classCount: 10)
            heldOut.hasLabels = false
        }
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: nil)
        workbench.batchSize = 64
        if let referenceBytes { workbench.fidelityReferenceBytes = referenceBytes }
        return workbench
    }

    static let plan = QuantPlan(defaults: LayerSettings(bitWidth: 3, scheme: .symmetric, granularity: .tensor))

    @Test func streamedFidelityMatchesAWholeSetComputation() throws {
        let workbench = try Self.workbench(.mlp, labeled: false)
        let float = try workbench.floatReport()
        #expect(!float.hasLabels)
        #expect(float.fidelity == .identical(neighbours: true))
        let model = try workbench.apply(Self.plan)
        let report = try workbench.evaluate(model)
        let fidelity = try #require(report.fidelity)
        // The same figures computed plainly from both models' outputs on the whole set at once.
        let images = try workbench.heldOut.images
        let f = try workbench.logits(for: images), q = try workbench.logits(for: images, model: model)
        let n = images.shape[0], width = f.count / n
        var agreeing = 0, cosine = 0.0, kl = 0.0, error = 0.0, signal = 0.0
        for row in 0..<n {
            let a = Array(f.storage[(row * width)..<((row + 1) * width)])
            let b = Array(q.storage[(row * width)..<((row + 1) * width)])
            if EvaluationMetrics.argmax(a) == EvaluationMetrics.argmax(b) { agreeing += 1 }
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }, nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }
            cosine += dot / (na.squareRoot() * nb.squareRoot())
            kl += Self.plainKL(a, b)
            error += zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            signal += na
        }
        #expect(fidelity.agreement == Double(agreeing) / Double(n))
        #expect(fidelity.agreement == report.agreement)
        #expect(fidelity.agreement < 1, "3-bit weights must change some predictions")
        #expect(abs(fidelity.cosine - cosine / Double(n)) < 1e-5)
        let measuredKL = try #require(fidelity.kl, "a Gemm output reads as classes: KL is measured")
        #expect(abs(measuredKL - kl / Double(n)) < 1e-4 * max(1, kl / Double(n)))
        #expect(abs(fidelity.relativeMSE - error / signal) < 1e-4 * error / signal)
        #expect(measuredKL > 0 && fidelity.relativeMSE > 0 && fidelity.cosine < 1)
        let neighbours = try #require(fidelity.neighbours)
        let plain = try #require(
            FidelitySums.neighbourAgreement(reference: f.storage, output: q.storage, count: n, width: width))
        #expect(abs(neighbours - plain) <= 2.0 / Double(n), "batched rows may round the last bit differently")
    }

    @Test func recomputingTheFloatReferenceGivesTheSameFidelityAsKeepingIt() throws {
        let kept = try Self.workbench(.cnn, labeled: true)
        let recomputed = try Self.workbench(.cnn, labeled: true, referenceBytes: 0)
        _ = try kept.floatReport()
        _ = try recomputed.floatReport()
        #expect(kept.floatOutputs?.count == 300 * 10)
        #expect(recomputed.floatOutputs == nil, "a budget of 0 bytes keeps no outputs")
        let a = try kept.evaluate(try kept.apply(Self.plan))
        let b = try recomputed.evaluate(try recomputed.apply(Self.plan))
        #expect(a.fidelity != nil && a.fidelity == b.fidelity)
        #expect(a.fidelity?.neighbours == nil, "labelled outputs are classes: no neighbours")
        #expect(a.hasLabels)
        // An estimate on a spread subset measures fidelity too.
        let estimate = try kept.progressiveEstimate(try kept.apply(Self.plan), sampleSize: 100, batchSize: 25)
        let fidelity = try #require(estimate.fidelity)
        #expect(fidelity.agreement == estimate.agreement)
    }

    @Test func planResultsCarryFidelityAndRefuseOutOfRangeValues() throws {
        let workbench = try Self.workbench(.mlp, labeled: false)
        let model = try workbench.apply(Self.plan)
        let report = try workbench.evaluate(model)
        let results = PlanResults(evaluation: report, model: model, includingLayers: false)
        #expect(results.fidelity == report.fidelity)
        let data = try JSONEncoder().encode(results)
        let decoded = try JSONDecoder().decode(PlanResults.self, from: data)
        #expect(decoded.fidelity == results.fidelity)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var fidelity = try #require(object["fidelity"] as? [String: Any])
        fidelity["agreement"] = 1.5
        object["fidelity"] = fidelity
        let bad = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: PlanError.self) { try JSONDecoder().decode(PlanResults.self, from: bad) }
    }
}

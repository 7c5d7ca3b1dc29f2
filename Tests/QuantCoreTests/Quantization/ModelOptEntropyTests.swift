import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Entropy calibration against NVIDIA ModelOpt's `_compute_amax_entropy`, run unchanged by
/// `Scripts/make_entropy_fixture.py` on fixed 2048-bin histograms of `|x|`
/// (`Tests/Fixtures/modelopt-entropy.json`): the demo CNN's conv1 output on the 256 calibration
/// images (computed by onnxruntime) and seeded Gaussian, Laplace, ReLU'd Gaussian,
/// Gaussian-with-outlier and spiky data, at 4, 8 and 16 bits.
@Suite struct ModelOptEntropyTests {
    struct Fixture: Decodable {
        var modelopt: String
        var cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var bits: Int
        var isUnsigned: Bool
        var upperBound: Float
        var histogram: [Int]
        var binsKept: Int
        /// KL(P ‖ Q) for 128, 129, … bins kept; `nil` where infinite.
        var divergences: [Double?]
        var testDescription: String { name }
        var levels: Int { 1 << (isUnsigned ? bits : bits - 1) }
    }

    static let cases: [Case] = {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/modelopt-entropy.json")
        guard let data = try? Data(contentsOf: url), let fixture = try? JSONDecoder().decode(Fixture.self, from: data)
        else { return [] }
        return fixture.cases
    }()

    @Test func fixtureIsPresent() {
        // 6 histograms × 3 bit widths.
        #expect(Self.cases.count == 18)
    }

    @Test(arguments: cases)
    func matchesModelOpt(_ testCase: Case) throws {
        let divergences = ActivationCalibrator.entropyDivergences(
            histogram: testCase.histogram, levels: testCase.levels)
        try #require(divergences.count == testCase.divergences.count)
        for (ours, theirs) in zip(divergences, testCase.divergences) {
            guard let theirs else {
                #expect(ours.divergence == .infinity, "\(ours.binsKept) bins kept")
                continue
            }
            // The fixture rounds to 12 decimals; the sums differ only in order.
            #expect(abs(ours.divergence - theirs) <= 1e-9 * max(1, theirs), "\(ours.binsKept) bins kept")
        }
        let binsKept = ActivationCalibrator.entropyBinsKept(histogram: testCase.histogram, levels: testCase.levels)
        #expect(binsKept == testCase.binsKept)
    }

    @Test func workedTableOfTheDocumentation() {
        // h = [4, 0, 2, 2] with 2 levels: the zero bin becomes 0; D = ∞, ∞, 0, 0; the tie keeps 4 bins.
        let divergences = ActivationCalibrator.entropyDivergences(
            histogram: [4, 0, 2, 2], levels: 2, firstCandidate: 1)
        #expect(divergences.map(\.binsKept) == [1, 2, 3, 4])
        #expect(divergences.map(\.divergence) == [.infinity, .infinity, 0, 0])
        #expect(ActivationCalibrator.entropyBinsKept(histogram: [4, 0, 2, 2], levels: 2, firstCandidate: 1) == 4)
        // Fewer bins than the first candidate: the only candidate is all of them.
        #expect(ActivationCalibrator.entropyDivergences(histogram: [4, 0, 2, 2], levels: 2).map(\.binsKept) == [4])
        #expect(ActivationCalibrator.entropyBinsKept(histogram: [], levels: 2) == nil)
    }

    /// The Workbench's own statistics of conv1_output (the engine's convolution, two batches) give
    /// ModelOpt's threshold for onnxruntime's conv1_output, up to values that fell into a neighbouring bin.
    @Test func demoConv1MatchesModelOptThroughTheWorkbench() throws {
        let oracle = try #require(Self.cases.first { $0.name == "demo-cnn conv1_output 8-bit" })
        let workbench = try WorkbenchTests.workbench(.cnn)
        let calibrator = try #require(try workbench.activationStatistics()["conv1_output"])
        #expect(abs(calibrator.histogramUpperBound - oracle.upperBound) <= 1e-6 * oracle.upperBound)
        let moved = zip(calibrator.histogram, oracle.histogram).reduce(0) { $0 + abs($1.0 - $1.1) }
        #expect(moved <= calibrator.count / 10_000, "\(moved) counts differ")
        let threshold = try calibrator.threshold(method: .entropy, bitWidth: 8)
        let expected = Float(oracle.binsKept) * oracle.upperBound / Float(oracle.histogram.count)
        #expect(abs(threshold - expected) <= 2 * calibrator.binWidth, "\(threshold) vs ModelOpt \(expected)")
        // Spiky but no longer collapsed: the 2017 formulation picked 0.49 here.
        #expect(threshold > 2 && threshold < calibrator.maxMagnitude)
    }
}

import Foundation
import QuantTestSupport
import Testing

/// `quantdash eval` without labels: fidelity to the float model instead of accuracy.
@Suite struct FidelityCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable { var agreement: Double? }
        struct Fidelity: Decodable {
            var agreement: Double
            var kl: Double
            var cosine: Double
            var relativeMSE: Double
            var neighbours: Double?
        }
        struct DataInfo: Decodable {
            var labeled: Bool
            var count: Int
        }
        var accuracy: Accuracy?
        var fidelity: Fidelity?
        var data: DataInfo
    }

    private static let fixtures = TestSupport.packageRoot.path + "/Tests/Fixtures/data/"

    private func eval(_ arguments: [String]) throws -> (Summary, String) {
        let result = try TestSupport.runQuantdash(["eval", "--model", "demo-mlp"] + arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        if arguments.contains("--json") {
            return (try JSONDecoder().decode(Summary.self, from: Data(result.standardOutput.utf8)), "")
        }
        return (Summary(accuracy: nil, fidelity: nil, data: .init(labeled: false, count: 0)), result.standardOutput)
    }

    @Test func unlabeledDataReportsFidelityAndTheLabelledRunAgrees() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json").path
        try Data(#"{ "version": 1, "default": { "bits": 3, "scheme": "symmetric", "granularity": "tensor" } }"#.utf8)
            .write(to: URL(fileURLWithPath: plan))
        let images = Self.fixtures + "heldout50-x-f32.npy"
        let (unlabeled, _) = try eval(["--json", "--data", images, "--plan", plan])
        #expect(!unlabeled.data.labeled && unlabeled.data.count == 50)
        #expect(unlabeled.accuracy == nil, "no labels: no accuracy figures")
        let fidelity = try #require(unlabeled.fidelity)
        #expect(fidelity.agreement > 0.5 && fidelity.agreement <= 1)
        #expect((fidelity.kl ?? -1) >= 0 && fidelity.cosine > 0.5 && fidelity.cosine <= 1 && fidelity.relativeMSE > 0)
        #expect(fidelity.neighbours != nil, "outputs without labels get nearest-neighbour agreement")
        let (labeled, _) = try eval([
            "--json", "--data", images, "--labels", Self.fixtures + "heldout50-y.npy", "--plan", plan,
        ])
        #expect(labeled.data.labeled)
        let labeledFidelity = try #require(labeled.fidelity)
        #expect(labeled.accuracy?.agreement == labeledFidelity.agreement)
        #expect(labeledFidelity.agreement == fidelity.agreement && labeledFidelity.cosine == fidelity.cosine)
        let (_, text) = try eval(["--data", images, "--plan", plan])
        #expect(text.contains("without labels") && text.contains("fidelity") && !text.contains("top-1   "))
    }
}

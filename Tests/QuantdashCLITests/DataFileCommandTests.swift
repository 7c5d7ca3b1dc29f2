import Foundation
import QuantTestSupport
import Testing

/// `quantdash eval` on user data files: the same digits give the same result in every format.
@Suite struct DataFileCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable {
            var correct: Int
            var count: Int
            var top1: Double
        }
        struct DataInfo: Decodable { var calibrationCount: Int? }
        var accuracy: Accuracy
        var data: DataInfo
    }

    private static let fixtures = "Tests/Fixtures/data/"
    private static let demo = "Sources/QuantCore/Resources/Demo/"

    private func eval(_ arguments: [String]) throws -> Summary {
        let root = TestSupport.packageRoot.path + "/"
        let absolute = arguments.map { $0.hasPrefix("Tests/") || $0.hasPrefix("Sources/") ? root + $0 : $0 }
        let result = try TestSupport.runQuantdash(["eval", "--json", "--model", "demo-mlp"] + absolute)
        #expect(result.status == 0, "stderr: \(result.standardError)")
        return try JSONDecoder().decode(Summary.self, from: Data(result.standardOutput.utf8))
    }

    @Test func everyFormatAgreesWithTheFirst50IDXDigits() throws {
        let idx = try eval([
            "--data", Self.demo + "mnist-heldout-images.idx3-ubyte", "--labels",
            Self.demo + "mnist-heldout-labels.idx1-ubyte", "--limit", "50",
        ])
        #expect(idx.accuracy.count == 50)
        #expect(idx.data.calibrationCount == nil)
        let runs = [
            ["--data", Self.fixtures + "heldout50.npz"],
            ["--data", Self.fixtures + "heldout50-stored.npz"],
            ["--data", Self.fixtures + "heldout50-x-f32.npy", "--labels", Self.fixtures + "heldout50-y.npy"],
            ["--data", Self.fixtures + "heldout50.csv", "--label-column", "last", "--scale", "1/255"],
            ["--data", "demo", "--limit", "50"],
        ]
        for run in runs {
            let summary = try eval(run)
            #expect(summary.accuracy.count == 50, "\(run)")
            #expect(summary.accuracy.correct == idx.accuracy.correct, "\(run)")
            #expect(summary.accuracy.top1 == idx.accuracy.top1, "\(run)")
        }
    }

    @Test func calibrationComesOnlyFromTheGivenFile() throws {
        let summary = try eval([
            "--data", Self.fixtures + "heldout50.npz", "--calibration", Self.fixtures + "heldout50-x-f32.npy",
            "--calibration-count", "10",
        ])
        #expect(summary.data.calibrationCount == 10)
    }

    @Test func badDataFilesFailWithOneLine() throws {
        let root = TestSupport.packageRoot.path + "/"
        let result = try TestSupport.runQuantdash([
            "eval", "--model", "demo-mlp", "--data", root + "Tests/Fixtures/invalid/data/fortran-order.npy",
        ])
        #expect(result.status != 0)
        #expect(result.standardError.contains("fortran-order.npy: Fortran-order arrays are not supported"))
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    }

    @Test func labelsTheModelCannotPredictAreRejected() throws {
        let path = TestSupport.packageRoot.path + "/Tests/Fixtures/invalid/data/label-out-of-range.csv"
        let result = try TestSupport.runQuantdash([
            "eval", "--model", "demo-mlp", "--data", path, "--label-column", "last",
        ])
        #expect(result.status != 0)
        #expect(result.standardError == "Error: \(path): label 12 of sample 0 is outside 0..<10\n")
    }

    @Test func unknownExtensionsAndMissingArraysAreNamed() throws {
        let data = TestSupport.packageRoot.path + "/Tests/Fixtures/data/heldout50.npz"
        let result = try TestSupport.runQuantdash(["eval", "--data", data, "--y-name", "labels"])
        #expect(result.status != 0)
        #expect(result.standardError == "Error: \(data): no array named 'labels' (the archive holds 'x', 'y')\n")
    }
}

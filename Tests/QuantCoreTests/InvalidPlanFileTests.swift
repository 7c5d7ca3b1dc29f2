import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Broken plan files (`Tests/Fixtures/invalid/plans/`, made by `Scripts/make_invalid_fixtures.py`),
/// each read from disk and asserted by the one line the user sees. The messages of every field
/// rule are in `QuantPlanErrorTests`; these are the files as a user would hand them over.
@Suite struct InvalidPlanFileTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/plans")

    static let cases: [(file: String, message: String)] = [
        ("empty.json", "not a valid plan: invalid JSON (unexpected end of file during JSON parse)"),
        ("not-json.json", "not a valid plan: invalid JSON at line 1, column 1 (invalid value)"),
        ("truncated.json", "not a valid plan: invalid JSON (unexpected end of file during JSON parse)"),
        ("top-level-array.json", "not a valid plan: expected a JSON object at the top level"),
        ("wrong-version.json", "unsupported plan version 99 (this quantdash reads version 1)"),
        (
            "unknown-field.json",
            "default.bitz: unknown field (known fields: bits, scheme, granularity, groupSize, range, "
                + "percentile, rounding, seed, prune, activationBits, calibration, biasCorrection, fractionBits, equalize)"
        ),
        ("bits-out-of-range.json", #"default.bits: 17 is out of range (1…16 or "float")"#),
        ("huge-bits.json", #"default.bits: expected a bit width (1…16 or "float"), found an unreadable value"#),
        (
            "unknown-scheme.json",
            #"default.scheme: unknown scheme "int3" (one of symmetric, symmetric-full, asymmetric, power-of-two, "#
                + "mean-std, kmeans, fp8-e4m3, fp8-e5m2, nf4, binary, ternary, fixed-point)"
        ),
        ("negative-threshold.json", "default.prune.threshold: -1.0 is out of range (a threshold on |w| is ≥ 0)"),
        ("binary-with-8-bits.json", "default.bits: 8 bits is not allowed by scheme binary (allowed: 1)"),
        (
            "deep-nesting.json",
            "not a valid plan: invalid JSON at line 1, column 514 (too many nested arrays or dictionaries)"
        ),
    ]

    @Test(arguments: cases.indices)
    func eachPlanGivesItsOneLineError(index: Int) throws {
        let (file, message) = Self.cases[index]
        let url = Self.folder.appendingPathComponent(file)
        let error = try #require(throws: PlanError.self) { try QuantPlan.load(contentsOf: url) }
        #expect(error.description == "\(url.path): \(message)")
        #expect(!error.description.contains("\n"))
    }

    @Test func everyFixtureIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        // unknown-layer.json is a valid plan for no model: the CLI test checks it against demo-mlp.
        #expect(Set(files).subtracting(Self.cases.map(\.file)) == ["unknown-layer.json"])
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Invalid session files (`Tests/Fixtures/invalid/sessions/`), each asserted by the one line the
/// user sees; every fixture in the folder must have an entry here.
@Suite struct SessionFixtureTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/sessions")

    static let expected: [(file: String, message: String)] = [
        ("sensitivity-bad-base.json", "sensitivity.records[0].base: unknown base \"nonsense\" (one of float, plan)"),
        ("sensitivity-out-of-range.json", "sensitivity.records[1].agreement: 1.5 is out of range (0…1)"),
        ("sensitivity-missing-field.json", "sensitivity.sampleCount: missing (required)"),
        ("truncated.json", "not a valid session: invalid JSON (unexpected end of file during JSON parse)"),
        (
            "deep-nesting.json",
            "not a valid session: invalid JSON at line 1, column 514 (too many nested arrays or dictionaries)"
        ),
        ("not-utf8.json", "not a valid session: invalid JSON (unexpected end of file during JSON parse)"),
        ("huge-version.json", "version: expected a whole-number version, found an unreadable value"),
        ("empty.json", "not a valid session: invalid JSON (unexpected end of file during JSON parse)"),
        ("not-an-object.json", "not a valid session: expected a JSON object at the top level"),
        ("wrong-version.json", "unsupported session version 2 (this quantdash reads version 1)"),
        ("missing-version.json", "version: missing (this quantdash reads version 1)"),
        (
            "unknown-field.json",
            "colour: unknown field (known fields: version, name, model, data, plan, notes, results, createdAt, "
                + "updatedAt, basedOn, view, budgets, sensitivity)"
        ),
        ("missing-field.json", "model: missing (required)"),
        ("null-field.json", "notes: expected text, found null"),
        ("wrong-type.json", #"results.top1: expected a number (0…1), found "high""#),
        ("out-of-range.json", "results.top5: 1.5 is out of range (0…1)"),
        (
            "results-unknown-field.json",
            "results.top3: unknown field (known fields: top1, top5, nll, agreement, count, isExact, sizeBytes, "
                + "floatBytes, compressionRatio, layers, fidelity)"
        ),
        ("bad-layer-result.json", "results.layers[1].bytes: -1 is out of range (a whole number ≥ 0)"),
        ("bad-sha256.json", #"data.sha256: expected a SHA-256 digest (64 lowercase hex digits), found "ABC""#),
        (
            "bad-date.json",
            #"updatedAt: expected an ISO 8601 date and time such as "2026-11-18T11:06:40Z", found "yesterday""#
        ),
        ("bad-name.json", #"name: must not contain "/" (a preset is one file in the sessions folder)"#),
        ("bad-plan-field.json", #"plan.layers.fc1.bits: 17 is out of range (1…16 or "float")"#),
        (
            "plan-unknown-field.json",
            "plan.layers.fc1.bitz: unknown field (known fields: bits, scheme, granularity, groupSize, range, "
                + "percentile, rounding, seed, prune, activationBits, calibration, biasCorrection, fractionBits, equalize)"
        ),
        ("plan-wrong-version.json", "plan.version: unsupported plan version 2 (this quantdash reads version 1)"),
    ]

    @Test(arguments: expected)
    func eachFixtureFailsWithItsLine(file: String, message: String) throws {
        let url = Self.folder.appendingPathComponent(file)
        #expect(throws: SessionError.self) { try SessionPreset.load(contentsOf: url) }
        do {
            _ = try SessionPreset.load(contentsOf: url)
        } catch let error as SessionError {
            #expect(error.description == "\(url.relativePath): \(message)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func everyFixtureIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter {
            $0.hasSuffix(".json")
        }
        #expect(Set(files) == Set(Self.expected.map(\.file)))
    }

    @Test func anUnreadableFileNamesItself() {
        let url = Self.folder.appendingPathComponent("no-such-file.json")
        #expect(throws: SessionError.unreadable(file: url.relativePath, reason: "no such file")) {
            try SessionPreset.load(contentsOf: url)
        }
    }
}

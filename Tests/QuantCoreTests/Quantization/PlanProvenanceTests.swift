import Foundation
import Testing

@testable import QuantCore

/// The optional `"provenance"` object of a plan file: accepted, round-tripped, strictly checked.
@Suite struct PlanProvenanceTests {
    static let sha = String(repeating: "0", count: 63) + "1"

    /// A plan file whose provenance object is `provenance`.
    static func plan(provenance: String) -> String {
        #"{ "version": 1, "default": { "bits": 8 }, "provenance": \#(provenance) }"#
    }

    static let validProvenance = """
        { "exportedAt": "2026-11-18T11:06:40.5Z", "calibrationCount": 256,
          "model": { "path": "demo-mlp", "sha256": "\(sha)" },
          "data": { "path": "images.idx", "labels": "labels.idx", "sha256": "\(sha)" },
          "results": { "top1": 0.957, "top5": 0.995, "nll": 0.132, "agreement": 0.994, "count": 1000,
                       "isExact": true, "sizeBytes": 149840, "floatBytes": 940584, "compressionRatio": 6.277,
                       "layers": [ { "name": "fc1", "bytes": 114688, "sqnrDecibels": 20.3 },
                                   { "name": "fc3", "bytes": 5160 } ] } }
        """

    @Test func decodesAndRoundTrips() throws {
        let plan = try QuantPlan.decoded(
            from: Data(Self.plan(provenance: Self.validProvenance).utf8), file: "plan.json")
        let provenance = try #require(plan.provenance)
        #expect(provenance.exportedAt == Timestamp.rounded(Date(timeIntervalSince1970: 1_795_000_000.5)))
        #expect(provenance.model == FileReference(path: "demo-mlp", sha256: Self.sha))
        #expect(provenance.data == FileReference(path: "images.idx", labelsPath: "labels.idx", sha256: Self.sha))
        #expect(provenance.calibrationCount == 256)
        #expect(provenance.results?.agreement == 0.994)
        #expect(
            provenance.results?.layers == [
                .init(name: "fc1", bytes: 114_688, sqnrDecibels: 20.3),
                .init(name: "fc3", bytes: 5160, sqnrDecibels: nil),
            ])
        #expect(plan.defaults == LayerSettings(bitWidth: 8))
        #expect(try QuantPlan.decoded(from: plan.encoded(), file: "again.json") == plan)
    }

    @Test func normalizingAndRestrictingKeepIt() throws {
        let plan = try QuantPlan.decoded(
            from: Data(Self.plan(provenance: Self.validProvenance).utf8), file: "plan.json")
        #expect(plan.restricted(to: []).provenance == plan.provenance)
        #expect(plan.normalized(for: []).provenance == plan.provenance)
    }

    static let cases: [(provenance: String, message: String)] = [
        ("3", "plan.json: provenance: expected an object"),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": {}, "data": {}, "tool": "x" }"#,
            "plan.json: provenance.tool: unknown field (known fields: exportedAt, model, data, calibrationCount, results)"
        ),
        (#"{ "model": {}, "data": {} }"#, "plan.json: provenance.exportedAt: missing (required)"),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m.onnx", "sha256": "xyz" }, "data": {} }"#,
            #"plan.json: provenance.model.sha256: expected a SHA-256 digest (64 lowercase hex digits), found "xyz""#
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "", "sha256": "xyz" }, "data": {} }"#,
            "plan.json: provenance.model.path: must not be empty"
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m", "sha256": "\#(sha)" }, "data": { "path": "d", "sha256": "\#(sha)" }, "calibrationCount": 0 }"#,
            "plan.json: provenance.calibrationCount: 0 is out of range (a whole number ≥ 1)"
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m", "sha256": "\#(sha)" }, "data": { "path": "d", "sha256": "\#(sha)" }, "results": { "top1": 1 } }"#,
            "plan.json: provenance.results.top5: missing (required)"
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m", "sha256": "\#(sha)" }, "data": { "path": "d", "sha256": "\#(sha)" }, "results": { "top1": 1, "top5": 1, "nll": 0, "count": 1, "isExact": "yes" } }"#,
            #"plan.json: provenance.results.isExact: expected true or false, found "yes""#
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m", "sha256": "\#(sha)" }, "data": { "path": "d", "sha256": "\#(sha)" }, "results": { "top1": 1, "top5": 1, "nll": 0, "count": 1, "isExact": true, "sizeBytes": 1, "floatBytes": 4, "compressionRatio": 4, "layers": [ { "name": "fc1", "bytes": 1, "sqnrDecibels": null } ] } }"#,
            "plan.json: provenance.results.layers[0].sqnrDecibels: expected a number (finite), found null"
        ),
        (
            #"{ "exportedAt": "2026-11-18T11:06:40Z", "model": { "path": "m", "sha256": "\#(sha)" }, "data": { "path": "d", "sha256": "\#(sha)" }, "results": { "top1": 1, "top5": 1, "nll": 0, "count": 1, "isExact": true, "sizeBytes": 1, "floatBytes": 4, "compressionRatio": 0 } }"#,
            "plan.json: provenance.results.compressionRatio: 0.0 is out of range (> 0)"
        ),
    ]

    @Test(arguments: cases)
    func invalidProvenanceNamesTheField(provenance: String, message: String) {
        do {
            _ = try QuantPlan.decoded(from: Data(Self.plan(provenance: provenance).utf8), file: "plan.json")
            Issue.record("decoded")
        } catch let error as PlanError {
            #expect(error.description == message)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

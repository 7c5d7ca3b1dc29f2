import Foundation
import Testing

@testable import QuantCore

/// Issue 16.15: a plan with a key given twice in one object is refused, naming the key.
@Suite struct DuplicateKeyTests {
    @Test(arguments: [
        (#"{"version": 1, "version": 1}"#, "version"),
        (#"{"version": 1, "default": {"bits": 4, "bits": 8}}"#, "default.bits"),
        (#"{"version": 1, "layers": {"fc1": {"bits": 4}, "fc1": {"bits": 8}}}"#, "layers.fc1"),
        (#"{"version": 1, "layers": {"f\u00e9": {}, "fé": {}}}"#, "layers.fé"),
    ])
    func aRepeatedKeyIsRefused(json: String, key: String) {
        #expect(
            throws: PlanError.malformedJSON(
                file: "p.json", detail: "the key \(key) appears twice in one object (which one counts?)")
        ) {
            try QuantPlan.decoded(from: Data(json.utf8), file: "p.json")
        }
    }

    @Test func equalKeysInDifferentObjectsAreFine() throws {
        let json = #"{"version": 1, "default": {"bits": 4}, "layers": {"fc1": {"bits": 8}, "fc2": {"bits": 8}}}"#
        #expect(JSONDuplicateKeys.first(in: Array(json.utf8)) == nil)
        let plan = try QuantPlan.decoded(from: Data(json.utf8), file: "p.json")
        #expect(plan.layers.count == 2)
        #expect(JSONDuplicateKeys.first(in: Array(#"[{"a": 1}, {"a": 2}, {"b": "a\"a", "a\"a": 0}]"#.utf8)) == nil)
    }
}

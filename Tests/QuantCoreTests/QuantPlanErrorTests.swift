import Foundation
import Testing

@testable import QuantCore

/// Invalid plan files, each asserted by the one line the user sees.
@Suite struct QuantPlanErrorTests {
    /// A plan whose layer `fc1` has `entry` as its settings object.
    static func layer(_ entry: String) -> String {
        #"{ "version": 1, "default": { "bits": 8 }, "layers": { "fc1": \#(entry) } }"#
    }

    static let cases: [(json: String, message: String)] = [
        // Version.
        (#"{ "version": 2 }"#, "plan.json: unsupported plan version 2 (this quantdash reads version 1)"),
        (#"{ "default": { "bits": 8 } }"#, "plan.json: version: missing (this quantdash reads version 1)"),
        (#"{ "version": "1" }"#, #"plan.json: version: expected a whole-number version, found "1""#),
        // Not a plan at all.
        ("[1, 2]", "plan.json: not a valid plan: expected a JSON object at the top level"),
        // Unknown fields at every level.
        (
            #"{ "version": 1, "defaults": {} }"#,
            "plan.json: defaults: unknown field (known fields: version, default, layers, provenance)"
        ),
        (
            layer(#"{ "bitz": 4 }"#),
            "plan.json: layers.fc1.bitz: unknown field (known fields: bits, scheme, granularity, groupSize, "
                + "range, percentile, rounding, seed, prune, activationBits, calibration, biasCorrection, fractionBits, equalize)"
        ),
        (
            layer(#"{ "prune": { "threshold": 0.1, "ratio": 2 } }"#),
            "plan.json: layers.fc1.prune.ratio: unknown field (known fields: threshold, sparsity, pattern, filters)"
        ),
        // Bits.
        (layer(#"{ "bits": 17 }"#), #"plan.json: layers.fc1.bits: 17 is out of range (1…16 or "float")"#),
        (layer(#"{ "bits": 0 }"#), #"plan.json: layers.fc1.bits: 0 is out of range (1…16 or "float")"#),
        (layer(#"{ "bits": 4.5 }"#), #"plan.json: layers.fc1.bits: 4.5 is not a whole number (1…16 or "float")"#),
        (layer(#"{ "bits": "int8" }"#), #"plan.json: layers.fc1.bits: "int8" is not a bit width (1…16 or "float")"#),
        (
            layer(#"{ "bits": null }"#),
            #"plan.json: layers.fc1.bits: expected a bit width (1…16 or "float"), found null"#
        ),
        (
            layer(#"{ "bits": 3, "scheme": "nf4" }"#),
            "plan.json: layers.fc1.bits: 3 bits is not allowed by scheme nf4 (allowed: 4)"
        ),
        (
            layer(#"{ "scheme": "fp8-e4m3", "bits": 4 }"#),
            "plan.json: layers.fc1.bits: 4 bits is not allowed by scheme fp8-e4m3 (allowed: 8)"
        ),
        (
            layer(#"{ "scheme": "binary" }"#),
            #"plan.json: layers.fc1.scheme: binary stores 1 bits, but bits is 8 (from "default"); set "bits" in this entry too"#
        ),
        (
            #"{ "version": 1, "default": { "bits": 1 } }"#,
            "plan.json: default.bits: 1 bits is not allowed by scheme symmetric (allowed: 2…16)"
        ),
        (
            layer(#"{ "activationBits": 32 }"#),
            #"plan.json: layers.fc1.activationBits: 32 is out of range (1…16 or "float")"#
        ),
        // Names.
        (
            layer(#"{ "scheme": "int4" }"#),
            #"plan.json: layers.fc1.scheme: unknown scheme "int4" (one of symmetric, symmetric-full, asymmetric, "#
                + "power-of-two, mean-std, kmeans, fp8-e4m3, fp8-e5m2, nf4, binary, ternary, fixed-point)"
        ),
        (
            layer(#"{ "granularity": "row" }"#),
            #"plan.json: layers.fc1.granularity: unknown granularity "row" (one of tensor, channel, group)"#
        ),
        (
            layer(#"{ "range": 3 }"#),
            "plan.json: layers.fc1.range: expected a range method (one of minmax, percentile, mse), found 3"
        ),
        (
            layer(#"{ "rounding": "up" }"#),
            #"plan.json: layers.fc1.rounding: unknown rounding "up" (one of nearest-even, stochastic, learned)"#
        ),
        (
            layer(#"{ "calibration": "kl" }"#),
            #"plan.json: layers.fc1.calibration: unknown calibration method "kl" (one of minmax, percentile, entropy, mse)"#
        ),
        // Companion fields.
        (
            layer(#"{ "granularity": "group", "groupSize": 0 }"#),
            "plan.json: layers.fc1.groupSize: 0 is out of range (a whole number 1…2147483647)"
        ),
        // Issue 16.2: values no exporter can represent, and arithmetic on them, are refused.
        (
            layer(#"{ "granularity": "group", "groupSize": 9223372036854775807 }"#),
            "plan.json: layers.fc1.groupSize: 9223372036854775807 is out of range (a whole number 1…2147483647)"
        ),
        (
            layer(#"{ "granularity": "group", "groupSize": 4294967297 }"#),
            "plan.json: layers.fc1.groupSize: 4294967297 is out of range (a whole number 1…2147483647)"
        ),
        (
            layer(#"{ "prune": { "pattern": "1:9223372036854775807" } }"#),
            #"plan.json: layers.fc1.prune.pattern: "1:9223372036854775807" is out of range (N:M needs 0 < N < M ≤ 2147483647)"#
        ),
        (
            layer(#"{ "granularity": "group" }"#),
            #"plan.json: layers.fc1.granularity: "group" needs "groupSize" (e.g. 32)"#
        ),
        (layer(#"{ "groupSize": 32 }"#), #"plan.json: layers.fc1.groupSize: only used with granularity "group""#),
        (
            layer(#"{ "granularity": "tensor", "groupSize": 32 }"#),
            #"plan.json: layers.fc1.groupSize: only used with granularity "group""#
        ),
        (
            layer(#"{ "range": "percentile", "percentile": 0 }"#),
            "plan.json: layers.fc1.percentile: 0.0 is out of range (0 < percentile ≤ 100)"
        ),
        (
            layer(#"{ "range": "percentile", "percentile": 100.5 }"#),
            "plan.json: layers.fc1.percentile: 100.5 is out of range (0 < percentile ≤ 100)"
        ),
        (
            layer(#"{ "range": "percentile" }"#),
            #"plan.json: layers.fc1.range: "percentile" needs "percentile" (e.g. 99.9)"#
        ),
        (
            layer(#"{ "rounding": "stochastic" }"#),
            #"plan.json: layers.fc1.rounding: "stochastic" needs "seed" (e.g. 0)"#
        ),
        (
            layer(#"{ "rounding": "stochastic", "seed": -1 }"#),
            "plan.json: layers.fc1.seed: expected a whole number ≥ 0, found -1"
        ),
        (layer(#"{ "seed": 3 }"#), #"plan.json: layers.fc1.seed: only used with rounding "stochastic""#),
        // Pruning.
        (
            layer(#"{ "prune": { "threshold": -0.1 } }"#),
            "plan.json: layers.fc1.prune.threshold: -0.1 is out of range (a threshold on |w| is ≥ 0)"
        ),
        (
            layer(#"{ "prune": { "sparsity": 1 } }"#),
            "plan.json: layers.fc1.prune.sparsity: 1.0 is out of range (0 ≤ sparsity < 1)"
        ),
        (
            layer(#"{ "prune": { "sparsity": -0.5 } }"#),
            "plan.json: layers.fc1.prune.sparsity: -0.5 is out of range (0 ≤ sparsity < 1)"
        ),
        (
            layer(#"{ "prune": { "pattern": "4:2" } }"#),
            #"plan.json: layers.fc1.prune.pattern: "4:2" is out of range (N:M needs 0 < N < M ≤ 2147483647)"#
        ),
        (
            layer(#"{ "prune": { "pattern": "0:4" } }"#),
            #"plan.json: layers.fc1.prune.pattern: "0:4" is out of range (N:M needs 0 < N < M ≤ 2147483647)"#
        ),
        (
            layer(#"{ "prune": { "pattern": "2of4" } }"#),
            #"plan.json: layers.fc1.prune.pattern: "2of4" is not an N:M pattern (e.g. "2:4": keep 2 of every 4)"#
        ),
        (
            layer(#"{ "prune": {} }"#),
            #"plan.json: layers.fc1.prune: give one of threshold, sparsity, pattern or filters (or "none" for no pruning)"#
        ),
        (
            layer(#"{ "prune": { "threshold": 0.1, "sparsity": 0.5 } }"#),
            "plan.json: layers.fc1.prune: give only one of threshold, sparsity, pattern or filters (found threshold and sparsity)"
        ),
        (
            layer(#"{ "prune": "all" }"#),
            #"plan.json: layers.fc1.prune: "all" is not a pruning rule (an object with threshold, sparsity, pattern or filters, or "none")"#
        ),
        // Shapes of objects.
        (layer("4"), "plan.json: layers.fc1: expected an object"),
        (
            #"{ "version": 1, "layers": [] }"#,
            "plan.json: layers: expected an object mapping layer names to settings, found a list"
        ),
        (#"{ "version": 1, "layers": { "": {} } }"#, #"plan.json: layers[""]: a layer name must not be empty"#),
        (
            #"{ "version": 1, "layers": { "conv1.weight": { "bits": 99 } } }"#,
            #"plan.json: layers["conv1.weight"].bits: 99 is out of range (1…16 or "float")"#
        ),
    ]

    @Test(arguments: cases)
    func invalidPlanReportsOneLineNamingFileAndField(json: String, message: String) {
        let error = #expect(throws: PlanError.self) {
            try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
        }
        #expect(error?.description == message)
        #expect(error?.description.contains("\n") == false)
    }

    static let malformed: [(json: String, message: String)] = [
        (
            "{ \"version\": 1,\n  \"layers\": x }",
            "plan.json: not a valid plan: invalid JSON at line 2, column 13 (invalid value)"
        ),
        (#"{ "version": 1, "#, "plan.json: not a valid plan: invalid JSON (unexpected end of file during JSON parse)"),
        ("", "plan.json: not a valid plan: invalid JSON (unexpected end of file during JSON parse)"),
    ]

    @Test(arguments: malformed)
    func malformedJSONNamesTheFileAndPosition(json: String, message: String) {
        let error = #expect(throws: PlanError.self) {
            try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
        }
        #expect(error?.description == message)
    }

    @Test func errorsInsideAnEnclosingDocumentNameTheFullPath() throws {
        struct Session: Decodable {
            var plan: QuantPlan
        }
        let json = #"{ "plan": { "version": 1, "layers": { "fc1": { "bits": 17 } } } }"#
        let error = #expect(throws: PlanError.self) {
            try JSONDecoder().decode(Session.self, from: Data(json.utf8))
        }
        #expect(
            error?.inFile("session.json").description
                == #"session.json: plan.layers.fc1.bits: 17 is out of range (1…16 or "float")"#)
    }
}

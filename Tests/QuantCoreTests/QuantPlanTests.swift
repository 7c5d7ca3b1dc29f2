import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct QuantPlanTests {
    static let issueExample = """
        { "version": 1,
          "default": { "bits": 8, "scheme": "symmetric", "granularity": "channel" },
          "layers": { "fc1": { "bits": 4, "scheme": "asymmetric", "granularity": "tensor",
                               "prune": { "threshold": 0.02 } } } }
        """

    static func decode(_ json: String) throws -> QuantPlan {
        try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
    }

    @Test func decodesTheIssueExample() throws {
        let plan = try Self.decode(Self.issueExample)
        #expect(plan.version == 1)
        #expect(plan.defaults == LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel))
        #expect(
            plan.settings(for: "fc1")
                == LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor, pruning: .threshold(0.02)))
        #expect(plan.settings(for: "conv1") == plan.defaults)
    }

    @Test func missingDefaultMeansFloat() throws {
        let plan = try Self.decode(#"{ "version": 1 }"#)
        #expect(plan == QuantPlan())
        #expect(plan.settings(for: "anything").isFloat)
    }

    @Test func layerEntriesOverrideTheDefaultFieldByField() throws {
        let plan = try Self.decode(
            """
            { "version": 1,
              "default": { "bits": 8, "scheme": "asymmetric", "granularity": "group", "groupSize": 32,
                           "range": "percentile", "percentile": 99.9, "rounding": "stochastic", "seed": 7,
                           "prune": { "sparsity": 0.5 }, "activationBits": 8, "calibration": "entropy" },
              "layers": {
                "a": { "bits": 4 },
                "b": { "groupSize": 64, "percentile": 99, "seed": 9 },
                "c": { "bits": "float", "prune": "none", "activationBits": "float" },
                "d": { "granularity": "channel", "range": "mse", "rounding": "nearest-even" },
                "e": { "prune": { "pattern": "2:4" }, "calibration": "mse" } } }
            """)
        let base = LayerSettings(
            bitWidth: 8, scheme: .asymmetric, granularity: .group(size: 32), range: .percentile(99.9),
            rounding: .stochastic(seed: 7), pruning: .sparsity(0.5), activationBits: 8, calibration: .entropy)
        #expect(plan.defaults == base)
        var a = base
        a.bitWidth = 4
        #expect(plan.settings(for: "a") == a)
        var b = base
        (b.granularity, b.range, b.rounding) = (.group(size: 64), .percentile(99), .stochastic(seed: 9))
        #expect(plan.settings(for: "b") == b)
        var c = base
        (c.bitWidth, c.pruning, c.activationBits) = (nil, nil, nil)
        #expect(plan.settings(for: "c") == c)
        var d = base
        (d.granularity, d.range, d.rounding) = (.channel, .mse, .nearestEven)
        #expect(plan.settings(for: "d") == d)
        var e = base
        (e.pruning, e.calibration) = (.pattern(keep: 2, of: 4), .mse)
        #expect(plan.settings(for: "e") == e)
    }

    static let roundTripPlans: [QuantPlan] = [
        QuantPlan(),
        QuantPlan(defaults: LayerSettings(bitWidth: 8)),
        QuantPlan(
            defaults: LayerSettings(bitWidth: 8, granularity: .group(size: 16), pruning: .threshold(0.02)),
            layers: [
                "conv1.weight": LayerSettings(bitWidth: 4, scheme: .nf4, granularity: .group(size: 64)),
                "/fc1/Gemm": LayerSettings(
                    bitWidth: nil, range: .percentile(99.99), rounding: .stochastic(seed: UInt64.max)),
                "fc2": LayerSettings(
                    bitWidth: 3, scheme: .kmeans, granularity: .tensor, range: .mse,
                    pruning: .pattern(keep: 1, of: 4), activationBits: 8, calibration: .percentile),
                "same-as-default": LayerSettings(bitWidth: 8, granularity: .group(size: 16), pruning: .threshold(0.02)),
            ]),
        QuantPlan(
            defaults: LayerSettings(bitWidth: 2, scheme: .ternary, pruning: .sparsity(0.3), activationBits: 6),
            layers: ["x": LayerSettings(bitWidth: 8, scheme: .fp8E5M2), "y": LayerSettings()]),
    ]

    @Test(arguments: roundTripPlans)
    func encodedPlansDecodeToEqualPlans(plan: QuantPlan) throws {
        let data = try plan.encoded()
        #expect(try QuantPlan.decoded(from: data, file: "plan.json") == plan)
        // Normalized: encoding again gives the same bytes.
        #expect(try QuantPlan.decoded(from: data, file: "plan.json").encoded() == data)
    }

    @Test func encodingIsSortedPrettyAndWritesLayersAsDifferences() throws {
        let plan = try Self.decode(Self.issueExample)
        let text = String(decoding: try plan.encoded(), as: UTF8.self)
        let expected = """
            {
              "default" : {
                "activationBits" : "float",
                "bits" : 8,
                "calibration" : "minmax",
                "granularity" : "channel",
                "prune" : "none",
                "range" : "minmax",
                "rounding" : "nearest-even",
                "scheme" : "symmetric"
              },
              "layers" : {
                "fc1" : {
                  "bits" : 4,
                  "granularity" : "tensor",
                  "prune" : {
                    "threshold" : 0.02
                  },
                  "scheme" : "asymmetric"
                }
              },
              "version" : 1
            }

            """
        #expect(text == expected)
    }

    @Test func writeAndLoadRoundTripThroughAFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("plan.json")
        let plan = Self.roundTripPlans[2]
        try plan.write(to: url)
        #expect(try QuantPlan.load(contentsOf: url) == plan)
        try QuantPlan().write(to: url)  // replaces atomically
        #expect(try QuantPlan.load(contentsOf: url) == QuantPlan())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["plan.json"])
    }

    @Test func loadingAMissingFileNamesIt() throws {
        let url = URL(fileURLWithPath: "/nonexistent-quantdash/plan.json")
        #expect(throws: PlanError.unreadable(file: "/nonexistent-quantdash/plan.json", reason: "no such file")) {
            try QuantPlan.load(contentsOf: url)
        }
        let error = PlanError.unreadable(file: "/nonexistent-quantdash/plan.json", reason: "no such file")
        #expect(error.description == "/nonexistent-quantdash/plan.json: cannot read: no such file")
    }

    @Test func writingIntoAMissingFolderFails() throws {
        let url = URL(fileURLWithPath: "/nonexistent-quantdash/plan.json")
        #expect(throws: PlanError.self) { try QuantPlan().write(to: url) }
    }

    @Test func validationNamesAnUnknownLayerAndListsValidOnes() throws {
        let plan = QuantPlan(layers: ["fc9": LayerSettings(bitWidth: 4), "fc1": LayerSettings(bitWidth: 4)])
        try plan.validated(against: ["fc1", "fc9"])
        let error = #expect(throws: PlanError.self) {
            try plan.validated(against: ["conv1", "conv2", "fc1", "fc2"], file: "plan.json")
        }
        #expect(
            error?.description
                == #"plan.json: layers.fc9: the model has no layer named "fc9" (layers: conv1, conv2, fc1, fc2)"#)
        let many = (1...20).map { "layer\($0)" }
        let longError = #expect(throws: PlanError.self) { try plan.validated(against: many) }
        #expect(longError?.description.hasSuffix("layer7, layer8, … (12 more))") == true)
    }

    @Test func validationChecksSettingsBuiltInCode() throws {
        let plan = QuantPlan(layers: ["fc1": LayerSettings(bitWidth: 17)])
        let error = #expect(throws: PlanError.self) { try plan.validated(against: ["fc1"], file: "plan.json") }
        #expect(error?.description == #"plan.json: layers.fc1.bits: 17 is out of range (1…16 or "float")"#)
        #expect(throws: PlanError.self) { try plan.encoded() }
    }

    @Test func normalizedMakesEveryLayerExplicit() throws {
        let layers = ["conv1", "fc1", "fc2"].map { name in
            Layer(
                name: name, nodeIndex: 0, opName: "Gemm", weightName: "\(name).weight", biasName: nil,
                weightShape: [2, 2], outputChannelAxis: 0, weightCount: 4, biasCount: 0)
        }
        let plan = QuantPlan(
            defaults: LayerSettings(bitWidth: 8),
            layers: ["fc1": LayerSettings(bitWidth: 4), "gone": LayerSettings(bitWidth: 2)])
        let normalized = plan.normalized(for: layers)
        #expect(normalized.defaults == plan.defaults)
        #expect(Set(normalized.layers.keys) == ["conv1", "fc1", "fc2"])
        for layer in layers {
            #expect(normalized.settings(for: layer.name) == plan.settings(for: layer.name))
        }
        #expect(try QuantPlan.decoded(from: normalized.encoded(), file: "p") == normalized)
    }
}

@Suite struct PlanFormatDocumentationTests {
    /// Every ```json block of docs/plan-format.md.
    static func jsonBlocks() throws -> [String] {
        let url = TestSupport.packageRoot.appendingPathComponent("docs/plan-format.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```json" {
                current = []
            } else if let lines = current, line == "```" {
                blocks.append(lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func everyJSONExampleIsAValidPlan() throws {
        let blocks = try Self.jsonBlocks()
        #expect(blocks.count >= 10)
        for block in blocks {
            #expect(throws: Never.self, "\(block)") {
                try QuantPlan.decoded(from: Data(block.utf8), file: "plan-format.md")
            }
        }
    }

    @Test func theNormalizedExampleIsWhatEncodingWrites() throws {
        let blocks = try Self.jsonBlocks()
        guard let first = blocks.first, let written = blocks.first(where: { $0.hasPrefix("{\n  \"default\"") }) else {
            Issue.record("examples missing")
            return
        }
        let plan = try QuantPlan.decoded(from: Data(first.utf8), file: "plan-format.md")
        #expect(String(decoding: try plan.encoded(), as: UTF8.self) == written + "\n")
    }
}

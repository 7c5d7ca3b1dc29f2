import Foundation
import Testing

@testable import QuantCore

/// Session files: stable JSON, round trips, timestamps and compatibility with the loaded model.
@Suite struct SessionPresetTests {
    static let smallPresetJSON = """
        {
          "createdAt" : "2026-11-18T11:06:40Z",
          "data" : {
            "path" : "demo",
            "sha256" : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
          },
          "model" : {
            "path" : "demo-mlp",
            "sha256" : "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          },
          "name" : "mlp-4bit",
          "notes" : "fc1 tolerates 4 bits",
          "plan" : {
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
                "bits" : 4
              }
            },
            "version" : 1
          },
          "results" : {
            "agreement" : 0.98,
            "compressionRatio" : 6.25,
            "count" : 1000,
            "floatBytes" : 940584,
            "isExact" : true,
            "nll" : 0.25,
            "sizeBytes" : 150000,
            "top1" : 0.951,
            "top5" : 0.995
          },
          "updatedAt" : "2026-11-18T11:07:40Z",
          "version" : 1,
          "view" : {
            "selectedLayer" : "fc1"
          }
        }

        """

    @Test func writesStableSortedPrettyJSON() throws {
        let text = String(decoding: try SessionTestPresets.small().encoded(), as: UTF8.self)
        #expect(text == Self.smallPresetJSON)
    }

    @Test func decodingTheExactTextGivesThePresetBack() throws {
        let preset = try SessionPreset.decoded(from: Data(Self.smallPresetJSON.utf8), file: "mlp-4bit.json")
        #expect(preset == SessionTestPresets.small())
    }

    @Test func roundTripsEveryField() throws {
        var preset = SessionTestPresets.small(basedOn: "mlp-8bit")
        preset.updatedAt = Timestamp.rounded(SessionTestPresets.date(0.123_456))
        preset.results?.layers = [
            .init(name: "fc1", bytes: 100_864, sqnrDecibels: 20.25), .init(name: "fc3", bytes: 5160, sqnrDecibels: nil),
        ]
        preset.plan.defaults = LayerSettings(
            bitWidth: 4, scheme: .asymmetric, granularity: .group(size: 32), range: .percentile(99.9),
            rounding: .stochastic(seed: 7), pruning: .pattern(keep: 2, of: 4), activationBits: 8, calibration: .entropy)
        preset.notes = "multi-line\nnotes with \"quotes\" and ünïcode"
        let decoded = try SessionPreset.decoded(from: try preset.encoded(), file: "p.json")
        #expect(decoded == preset)
        #expect(try decoded.encoded() == preset.encoded())
    }

    @Test func optionalFieldsAreLeftOut() throws {
        var preset = SessionTestPresets.small()
        preset.results = nil
        preset.view = nil
        preset.notes = ""
        let text = String(decoding: try preset.encoded(), as: UTF8.self)
        #expect(!text.contains("results"))
        #expect(!text.contains("view"))
        #expect(!text.contains("basedOn"))
        #expect(text.contains(#""notes" : """#))
        #expect(try SessionPreset.decoded(from: Data(text.utf8), file: "p.json") == preset)
    }

    @Test func notesMayBeLeftOutOfAHandWrittenFile() throws {
        var text = Self.smallPresetJSON
        text = text.replacingOccurrences(of: #"  "notes" : "fc1 tolerates 4 bits","# + "\n", with: "")
        let preset = try SessionPreset.decoded(from: Data(text.utf8), file: "p.json")
        #expect(preset.notes == "")
    }

    @Test(arguments: [
        (0.0, "2026-11-18T11:06:40Z"),
        (0.25, "2026-11-18T11:06:40.250Z"),
        (0.001, "2026-11-18T11:06:40.001Z"),
        (-0.5, "2026-11-18T11:06:39.500Z"),
        (86_400.999, "2026-11-19T11:06:40.999Z"),
    ])
    func timestampsKeepMilliseconds(offset: Double, text: String) throws {
        let date = Timestamp.rounded(SessionTestPresets.date(offset))
        #expect(Timestamp.string(from: date) == text)
        #expect(Timestamp.date(from: text) == date)
    }

    @Test func timestampsAcceptOffsetsAndLongFractions() {
        #expect(Timestamp.date(from: "2026-11-18T12:06:40+01:00") == SessionTestPresets.baseDate)
        #expect(Timestamp.date(from: "2026-11-18T11:06:40.25Z") == SessionTestPresets.date(0.25))
        #expect(
            Timestamp.date(from: "2026-11-18T11:06:40.123456789Z") == Timestamp.rounded(SessionTestPresets.date(0.123)))
        #expect(Timestamp.date(from: "2026-11-18") == nil)
        #expect(Timestamp.date(from: "yesterday") == nil)
        #expect(Timestamp.date(from: "2026-11-18T11:06:40.Z") == nil)
    }

    @Test func embeddedPlanKeepsItsProvenance() throws {
        var preset = SessionTestPresets.small()
        preset.plan.provenance = PlanProvenance(
            exportedAt: SessionTestPresets.baseDate, model: preset.model, data: preset.data, calibrationCount: 256,
            results: preset.results)
        #expect(try SessionPreset.decoded(from: try preset.encoded(), file: "p.json") == preset)
    }

    // MARK: Compatibility

    @Test func sameModelAndDataIsAnExactMatch() {
        let preset = SessionTestPresets.small()
        let compatibility = preset.compatibility(
            with: SessionTestPresets.sha("a"), dataSHA: SessionTestPresets.sha("b"), layerNames: ["fc1", "fc2", "fc3"])
        #expect(compatibility.isExactMatch)
        #expect(compatibility.warnings.isEmpty)
        #expect(compatibility.layersWithoutEntry == ["fc2", "fc3"])
        #expect(preset.plan(applicableTo: ["fc1", "fc2", "fc3"]) == preset.plan)
    }

    @Test func changedFilesAreReported() {
        let preset = SessionTestPresets.small()
        let compatibility = preset.compatibility(
            with: SessionTestPresets.sha("c"), dataSHA: SessionTestPresets.sha("d"), layerNames: ["fc1"])
        #expect(compatibility.isModelChanged)
        #expect(compatibility.isDataChanged)
        #expect(compatibility.missingLayers.isEmpty)
        #expect(!compatibility.isExactMatch)
        #expect(
            compatibility.warnings == [
                "the model file changed since the preset was saved (SHA-256 differs)",
                "the data changed since the preset was saved (SHA-256 differs)",
            ])
    }

    @Test func renamedLayersAreDroppedAndTheRestStillApplies() {
        var preset = SessionTestPresets.small()
        preset.plan.layers["fc2"] = LayerSettings(bitWidth: 6)
        let renamed = ["dense1", "fc2", "fc3"]
        let compatibility = preset.compatibility(
            with: SessionTestPresets.sha("a"), dataSHA: SessionTestPresets.sha("b"), layerNames: renamed)
        #expect(!compatibility.isModelChanged)
        #expect(compatibility.missingLayers == ["fc1"])
        #expect(compatibility.layersWithoutEntry == ["dense1", "fc3"])
        #expect(
            compatibility.warnings == [
                "the model has no layer named fc1; those entries are ignored (layers using the defaults: dense1, fc3)"
            ])
        let applicable = preset.plan(applicableTo: renamed)
        #expect(applicable.layers == ["fc2": LayerSettings(bitWidth: 6)])
        #expect(applicable.defaults == preset.plan.defaults)
        #expect(throws: Never.self) { try applicable.validated(against: renamed) }
    }

    /// A file of 513 '[' (a fuzzing finding: Foundation's JSON decoder traps past 512 levels
    /// instead of throwing) and anything nested past 64 levels is a one-line error, not a crash.
    @Test func deeplyNestedJSONIsRefusedWithAnError() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        for text in [String(repeating: "[", count: 513), deep] {
            #expect {
                _ = try SessionPreset.decoded(from: Data(text.utf8), file: "deep.json")
            } throws: { error in
                "\(error)".contains("deep.json") && "\(error)".contains("invalid JSON")
            }
        }
        #expect(PlanDecoding.nestingProblem(in: Data(#"{"a": "[[[[", "b": [[1]]}"#.utf8)) == nil)
    }
}

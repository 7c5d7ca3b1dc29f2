import Foundation
import Testing

@testable import QuantCore

/// A sensitivity analysis saved into a session preset comes back into a new analysis of the same
/// model and data without measuring anything again, and never into another one.
@Suite struct SavedSensitivityTests {
    static let plan = QuantPlan(defaults: LayerSettings(bitWidth: 4))

    /// The analysis's evaluations through a preset's JSON and back.
    static func roundTrip(_ saved: SavedSensitivity) throws -> SavedSensitivity {
        let preset = SessionPreset(
            name: "tuned", model: FileReference(path: "demo-cnn", sha256: String(repeating: "a", count: 64)),
            data: FileReference(path: "demo", sha256: String(repeating: "b", count: 64)), plan: plan,
            createdAt: Date(timeIntervalSince1970: 0),
            updatedAt: Date(timeIntervalSince1970: 0), sensitivity: saved)
        let decoded = try SessionPreset.decoded(from: try preset.encoded(), file: "tuned.json")
        #expect(decoded == preset)
        return try #require(decoded.sensitivity)
    }

    @Test func aRestoredAnalysisMeasuresNothingAndGivesTheSameTable() throws {
        let first = SensitivityTests.sensitivity(try SensitivityTests.workbench())
        let table = try first.run(menu: SensitivityTests.menu, plan: Self.plan)
        let saved = try Self.roundTrip(first.saved(relativeTo: Self.plan))
        #expect(saved.records.count == first.cachedCount && saved.sampleCount == 200)
        // Only-this-layer plans are written against float, all-but-this-one plans against the plan.
        #expect(saved.records.allSatisfy { $0.changes.layers.count <= 1 || $0.base == .float })
        #expect(saved.records.contains { $0.base == .plan && $0.changes.layers.values.contains(.float) })

        let second = SensitivityTests.sensitivity(try SensitivityTests.workbench())
        #expect(second.restore(saved, plan: Self.plan) == first.cachedCount)
        let again = try second.run(menu: SensitivityTests.menu, plan: Self.plan)
        #expect(second.evaluationsRun == 0)
        #expect(again == table)
        // Saving the restored analysis gives the same bytes.
        #expect(second.saved(relativeTo: Self.plan) == first.saved(relativeTo: Self.plan))
    }

    @Test func resultsOfOtherModelsDataOrSamplesAreNotRestored() throws {
        let first = SensitivityTests.sensitivity(try SensitivityTests.workbench(samples: 100))
        _ = try first.run(menu: SensitivityTests.menu, plan: Self.plan)
        let saved = first.saved(relativeTo: Self.plan)
        let otherData = Sensitivity(
            workbench: try SensitivityTests.workbench(samples: 100), modelSHA256: "model", dataSHA256: "other")
        #expect(otherData.restore(saved, plan: Self.plan) == 0)
        let otherModel = Sensitivity(
            workbench: try SensitivityTests.workbench(samples: 100), modelSHA256: "other", dataSHA256: "data")
        #expect(otherModel.restore(saved, plan: Self.plan) == 0)
        let moreSamples = SensitivityTests.sensitivity(try SensitivityTests.workbench(samples: 200))
        #expect(moreSamples.restore(saved, plan: Self.plan) == 0)
        // A record naming a layer the model lacks, or with a wrong number of samples, is skipped.
        var edited = saved
        edited.records[0].changes.layers["no-such-layer"] = LayerSettings(bitWidth: 8)
        edited.records[1].correct = SavedSensitivity.pack(Array(repeating: true, count: 50))
        edited.records[2].correct = "not base64!"
        let same = SensitivityTests.sensitivity(try SensitivityTests.workbench(samples: 100))
        #expect(same.restore(edited, plan: Self.plan) == saved.records.count - 3)
        #expect(same.evaluationsRun == 0)
    }

    @Test func correctnessBitsRoundTrip() {
        let flags = (0..<13).map { $0 % 3 == 0 || $0 == 12 }
        #expect(SavedSensitivity.unpack(SavedSensitivity.pack(flags), count: 13) == flags)
        #expect(SavedSensitivity.unpack(SavedSensitivity.pack(flags), count: 17) == nil)
        #expect(SavedSensitivity.unpack(SavedSensitivity.pack([]), count: 0) == [])
    }
}

import Testing

@testable import QuantCore

/// `LatencyProfile`: its structure and sanity on the demo models (timings are never targets).
@Suite struct LatencyProfileTests {
    @Test func medianIsTheMiddleValue() {
        #expect(LatencyProfile.median([]) == 0)
        #expect(LatencyProfile.median([3, 1, 2]) == 2)
        #expect(LatencyProfile.median([4, 1, 3, 2]) == 2.5)
        #expect(LatencyProfile.median([7, 100, 7, 7, 1]) == 7)  // one slow run does not move it
    }

    @Test(arguments: [BundledModel.mlp, .cnn])
    func profileNamesThePlanLayersAndTimesEveryPart(model: BundledModel) throws {
        let workbench = try IntegerLoweringTests.workbench(model, heldOut: 20)
        let (_, integer) = try workbench.integerModel(for: IntegerLoweringTests.int8Plan)
        let profile = try workbench.latencyProfile(of: integer, runs: 5, batchSize: 8)
        #expect(profile.runs == 5)
        #expect(profile.batchSize == 8)
        #expect(profile.layers.map(\.name) == workbench.layerNames)
        #expect(profile.layers.map(\.name) == integer.linearLayers.map(\.layerName))
        for pass in [profile.float, profile.integer] {
            #expect(pass.msPerImage > 0 && pass.msPerImage.isFinite)
            #expect(pass.batchMsPerImage > 0 && pass.batchMsPerImage.isFinite)
        }
        for layer in profile.layers {
            #expect(layer.floatMs > 0 && layer.integerMs > 0)
            #expect(layer.batchFloatMs > 0 && layer.batchIntegerMs > 0)
        }
        // How the parts compare with the whole is a matter of timing, left to the benchmarks: a unit
        // test on a shared machine would fail whenever another process takes a core mid-run.
        #expect(profile.speedup == profile.float.msPerImage / profile.integer.msPerImage)
    }

    @Test func batchIsCutToTheHeldOutSetAndRunsToAtLeastOne() throws {
        let workbench = try IntegerLoweringTests.workbench(.mlp, heldOut: 3)
        let (_, integer) = try workbench.integerModel(for: IntegerLoweringTests.int8Plan)
        let profile = try workbench.latencyProfile(of: integer, runs: 0, batchSize: 32)
        #expect(profile.batchSize == 3)
        #expect(profile.runs == 1)
    }

    @Test func cancellationStopsTheMeasurement() throws {
        let workbench = try IntegerLoweringTests.workbench(.mlp, heldOut: 4)
        let (_, integer) = try workbench.integerModel(for: IntegerLoweringTests.int8Plan)
        #expect(throws: CancellationError.self) {
            try workbench.latencyProfile(of: integer, runs: 3, isCancelled: { true })
        }
    }
}

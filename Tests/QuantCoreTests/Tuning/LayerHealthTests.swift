import Testing

@testable import QuantCore

/// RMSE/scale: about 0.289 for plain rounding, high when the range clips, none without a step.
@Suite struct LayerHealthTests {
    static func mlp() throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        return try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().evenlySpaced(20), calibration: nil)
    }

    @Test func roundingAloneIsNearTheIdeal() throws {
        let workbench = try Self.mlp()
        for bits in [8, 6] {
            let report = try workbench.layerReport(for: "fc1", settings: LayerSettings(bitWidth: bits))
            let health = try #require(LayerHealth.rmseOverScale(report))
            #expect(abs(health - LayerHealth.ideal) < 0.03, "\(bits) bits: \(health)")
            #expect(!LayerHealth.isSuspect(health))
        }
    }

    @Test func aClippingRangeIsSuspect() throws {
        let workbench = try Self.mlp()
        let clipped = LayerSettings(bitWidth: 4, granularity: .tensor, range: .percentile(50))
        let report = try workbench.layerReport(for: "fc1", settings: clipped)
        let health = try #require(LayerHealth.rmseOverScale(report))
        #expect(health > LayerHealth.suspectAbove, "\(health)")
        #expect(LayerHealth.isSuspect(health))
    }

    @Test func floatAndNonAffineLayersHaveNoFigure() throws {
        let workbench = try Self.mlp()
        #expect(LayerHealth.rmseOverScale(try workbench.layerReport(for: "fc1", settings: .float)) == nil)
        let kmeans = LayerSettings(bitWidth: 3, scheme: .kmeans)
        #expect(LayerHealth.rmseOverScale(try workbench.layerReport(for: "fc1", settings: kmeans)) == nil)
    }

    @Test func prunedWeightsAreLeftOut() throws {
        let workbench = try Self.mlp()
        let pruned = LayerSettings(bitWidth: 8, pruning: .sparsity(0.5))
        let health = try #require(LayerHealth.rmseOverScale(try workbench.layerReport(for: "fc1", settings: pruned)))
        #expect(abs(health - LayerHealth.ideal) < 0.03, "\(health)")
    }
}

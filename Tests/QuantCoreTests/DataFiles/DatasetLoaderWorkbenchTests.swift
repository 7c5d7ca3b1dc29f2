import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// The whole held-out demo set written as `.npz` (uint8 pixels, int64 labels, deflated) gives
/// the demo MLP exactly the README's 958 of 1000, as the bundled IDX files do.
@Suite struct DatasetLoaderWorkbenchTests {
    @Test func heldOutSetAsNPZMatchesTheIDXResult() throws {
        let files = try DemoData.heldOutFiles()
        let images = try IDXFile.read(from: files.images)
        let labels = try IDXFile.read(from: files.labels)
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("heldout.npz")
        try NumPyWriter.npz(
            [
                ("x", NumPyWriter.npy(descr: "|u1", shape: images.shape, payload: Data(images.payload))),
                ("y", NumPyWriter.npy(int64s: (labels.integerValues() ?? []).map(Int64.init), shape: [labels.count])),
            ], to: url, deflated: true)
        let dataset = try DatasetLoader.load(path: url.path)
        #expect(try dataset.images.shape == [1000, 28, 28])
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let workbench = try Workbench(graph: graph, heldOut: dataset, calibration: nil)
        #expect(try workbench.floatReport().correctCount == 958)
    }
}

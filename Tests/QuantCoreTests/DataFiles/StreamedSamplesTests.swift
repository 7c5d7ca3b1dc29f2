import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Large `.npy` images are read a batch at a time, and give exactly what loading them whole gives.
@Suite struct StreamedSamplesTests {
    /// The demo held-out digits as uint8 `.npy` images and int64 labels.
    static func heldOutFiles() throws -> (images: URL, labels: URL) {
        let files = try DemoData.heldOutFiles()
        let images = try IDXFile.read(from: files.images)
        let labels = try IDXFile.read(from: files.labels)
        let folder = try TestSupport.temporaryDirectory()
        let imagesURL = folder.appendingPathComponent("x.npy")
        let labelsURL = folder.appendingPathComponent("y.npy")
        try NumPyWriter.npy(descr: "|u1", shape: images.shape, payload: Data(images.payload)).write(to: imagesURL)
        try NumPyWriter.npy(int64s: (labels.integerValues() ?? []).map(Int64.init), shape: [labels.count])
            .write(to: labelsURL)
        return (imagesURL, labelsURL)
    }

    static func options(labels: URL, streaming: Bool) -> DatasetLoadOptions {
        var options = DatasetLoadOptions()
        options.labelsPath = labels.path
        options.mean = [0.1307]
        options.std = [0.3081]
        options.streamingThreshold = streaming ? 0 : Int.max
        return options
    }

    @Test func streamedEqualsLoadedWhole() throws {
        let files = try Self.heldOutFiles()
        let streamed = try DatasetLoader.load(
            path: files.images.path, options: Self.options(labels: files.labels, streaming: true))
        let whole = try DatasetLoader.load(
            path: files.images.path, options: Self.options(labels: files.labels, streaming: false))
        #expect(streamed.isStreamed && !whole.isStreamed)
        #expect(streamed.residentImageBytes == 0 && whole.residentImageBytes == 1000 * 784 * 4)
        #expect(streamed.labels == whole.labels)
        #expect(try streamed.images(in: 10..<37) == whole.images(in: 10..<37))
        #expect(try streamed.subset(100..<300).images(in: 5..<9) == whole.subset(100..<300).images(in: 5..<9))
        let spreadStreamed = try streamed.evenlySpaced(37)
        let spreadWhole = try whole.evenlySpaced(37)
        #expect(spreadStreamed.labels == spreadWhole.labels)
        #expect(try spreadStreamed.images == spreadWhole.images)
        // Through the model: the same 958 of 1000 as the bundled IDX files (via the workbench's batches).
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let workbench = try Workbench(graph: graph, heldOut: streamed, calibration: nil)
        workbench.batchSize = 64
        let reference = try Workbench(graph: graph, heldOut: whole, calibration: nil)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 3))
        let a = try workbench.evaluate(workbench.apply(plan))
        let b = try reference.evaluate(reference.apply(plan))
        #expect(a.predictions == b.predictions && a.meanNLL == b.meanNLL)
    }

    @Test func aValueThatIsNotFiniteIsRefusedWhenOpened() throws {
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("bad.npy")
        var values = [Float](repeating: 0.5, count: 6 * 4)
        values[13] = .nan
        try NumPyWriter.npy(floats: values, shape: [6, 4]).write(to: url)
        var options = DatasetLoadOptions()
        options.requiresLabels = false
        options.streamingThreshold = 0
        #expect(
            throws: ModelIOError.malformed(
                path: url.path, detail: "value nan at index 13 (sample 3) is not a finite number")
        ) { try DatasetLoader.load(path: url.path, options: options) }
    }

    @Test func aFileThatShrinksAfterOpeningGivesAnErrorNotACrash() throws {
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("shrinks.npy")
        try NumPyWriter.npy(floats: [Float](repeating: 1, count: 8 * 16), shape: [8, 16]).write(to: url)
        var options = DatasetLoadOptions()
        options.requiresLabels = false
        options.streamingThreshold = 0
        let dataset = try DatasetLoader.load(path: url.path, options: options)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 200)
        try handle.close()
        #expect(throws: ModelIOError.self) { try dataset.images(in: 4..<8) }
    }
}

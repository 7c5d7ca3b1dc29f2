import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct DatasetTests {
    /// `count` samples of shape `sampleShape`; every value of sample i is i, labels cycle 0, 1, 2.
    private func numbered(_ count: Int, sampleShape: [Int] = [2]) throws -> Dataset {
        let size = Tensor.elementCount(of: sampleShape)
        let storage = (0..<count).flatMap { [Float](repeating: Float($0), count: size) }
        return try Dataset(
            name: "numbered", images: Tensor(shape: [count] + sampleShape, storage: storage),
            labels: (0..<count).map { $0 % 3 }, classCount: 3)
    }

    @Test func validatesCountsAndLabels() throws {
        let images = Tensor(shape: [3, 2], repeating: 0)
        #expect(throws: EvaluationError.countMismatch(dataset: "d.idx", images: 3, labels: 2)) {
            try Dataset(name: "d.idx", images: images, labels: [0, 1], classCount: 2)
        }
        #expect(
            EvaluationError.countMismatch(dataset: "d.idx", images: 3, labels: 2).description
                == "d.idx: 3 images but 2 labels; each image needs exactly one label")
        let outOfRange = EvaluationError.labelOutOfRange(dataset: "d.idx", index: 2, label: 5, classCount: 2)
        #expect(throws: outOfRange) {
            try Dataset(name: "d.idx", images: images, labels: [0, 1, 5], classCount: 2)
        }
        #expect(outOfRange.description == "d.idx: label 5 of sample 2 is outside 0..<2")
        #expect(throws: EvaluationError.labelOutOfRange(dataset: "d.idx", index: 0, label: -1, classCount: 2)) {
            try Dataset(name: "d.idx", images: images, labels: [-1, 1, 0])
        }
        #expect(throws: EvaluationError.missingSampleAxis(dataset: "s")) {
            try Dataset(name: "s", images: Tensor(scalar: 1), labels: [0])
        }
        // Without a class count, the largest label plus one.
        #expect(try Dataset(name: "d", images: images, labels: [0, 4, 2]).classCount == 5)
    }

    @Test func subsetsRememberTheirOrigin() throws {
        let data = try numbered(10)
        #expect(data.isComplete && data.sourceRange == 0..<10)

        let middle = data.subset(3..<8)
        #expect(middle.count == 5)
        #expect(try middle.images.storage == [3, 3, 4, 4, 5, 5, 6, 6, 7, 7])
        #expect(middle.labels == [0, 1, 2, 0, 1])
        #expect(middle.sourceRange == 3..<8 && middle.sourceCount == 10 && !middle.isComplete)

        let inner = middle.subset(1..<3)
        #expect(try inner.images.storage == [4, 4, 5, 5])
        #expect(inner.sourceRange == 4..<6)

        // Out-of-range requests are clamped, never trap.
        #expect(data.subset(8..<50).sourceRange == 8..<10)
        #expect(data.subset(-5..<2).sourceRange == 0..<2)
        #expect(data.subset(20..<30).count == 0)

        #expect(data.first(4).labels == [0, 1, 2, 0])
        #expect(!data.first(4).isComplete)
        #expect(data.first(10).isComplete && data.first(99).count == 10)
        #expect(data.first(-1).count == 0)
    }

    @Test func batchesCoverEverySampleOnce() throws {
        let data = try numbered(7)
        #expect(data.batchRanges(of: 3) == [0..<3, 3..<6, 6..<7])
        #expect(data.batchRanges(of: 7) == [0..<7])
        #expect(data.batchRanges(of: 100) == [0..<7])
        #expect(data.batchRanges(of: 0) == (0..<7).map { $0..<($0 + 1) })
        let batches = Array(data.batches(of: 3))
        #expect(batches.map(\.count) == [3, 3, 1])
        #expect(batches.flatMap(\.labels) == data.labels)
        #expect(try batches.flatMap { try $0.images.storage } == data.images.storage)
        #expect(try batches[2].images.shape == [1, 2])
    }

    @Test func reshapesToModelInput() throws {
        let square = try numbered(2, sampleShape: [28, 28])
        #expect(try square.reshaped(toModelInput: [nil, 1, 28, 28]).images.shape == [2, 1, 28, 28])
        #expect(try square.reshaped(toModelInput: [1, 784]).images.shape == [2, 784])

        let flat = try numbered(2, sampleShape: [784])
        let shaped = try flat.reshaped(toModelInput: [nil, 1, 28, 28])
        #expect(try shaped.images.shape == [2, 1, 28, 28])
        #expect(try shaped.images.storage == flat.images.storage)
        #expect(shaped.labels == flat.labels)

        // Dynamic sample axes: taken from the data when ranks agree, else inferred if only one.
        let image = try numbered(2, sampleShape: [1, 28, 28])
        #expect(try image.reshaped(toModelInput: [nil, 1, nil, nil]).images.shape == [2, 1, 28, 28])
        #expect(try image.reshaped(toModelInput: [nil, nil]).images.shape == [2, 784])
        #expect(try image.reshaped(toModelInput: [nil, 4, nil]).images.shape == [2, 4, 196])
    }

    @Test func reshapeMismatchesSayWhy() throws {
        let square = try numbered(2, sampleShape: [28, 28])
        let tooBig = EvaluationError.inputShapeMismatch(
            dataset: "numbered", sampleShape: [28, 28], modelInput: [nil, 1, 32, 32],
            detail: "the model needs 1024 values per sample, the data has 784")
        #expect(throws: tooBig) { try square.reshaped(toModelInput: [nil, 1, 32, 32]) }
        #expect(
            tooBig.description
                == "numbered: samples of shape [28, 28] do not fit model input [batch, 1, 32, 32]: the model needs 1024 values per sample, the data has 784"
        )
        #expect(
            throws: EvaluationError.inputShapeMismatch(
                dataset: "numbered", sampleShape: [28, 28], modelInput: [],
                detail: "the model input has no batch axis")
        ) { try square.reshaped(toModelInput: []) }
        let flat = try numbered(2, sampleShape: [784])
        #expect(
            throws: EvaluationError.inputShapeMismatch(
                dataset: "numbered", sampleShape: [784], modelInput: [nil, 5, nil],
                detail: "784 values per sample are not a multiple of the fixed axes [5]")
        ) { try flat.reshaped(toModelInput: [nil, 5, nil]) }
        // With equal ranks a dynamic axis takes the data's extent: [5, 28] holds 140 values.
        #expect(
            throws: EvaluationError.inputShapeMismatch(
                dataset: "numbered", sampleShape: [28, 28], modelInput: [nil, 5, nil],
                detail: "the model needs 140 values per sample, the data has 784")
        ) { try square.reshaped(toModelInput: [nil, 5, nil]) }
        #expect(
            throws: EvaluationError.inputShapeMismatch(
                dataset: "numbered", sampleShape: [28, 28], modelInput: [nil, 1, nil, nil],
                detail: "2 dynamic axes besides the batch cannot be inferred")
        ) { try square.reshaped(toModelInput: [nil, 1, nil, nil]) }
        let huge = 1 << 40
        #expect(
            throws: EvaluationError.inputShapeMismatch(
                dataset: "numbered", sampleShape: [28, 28], modelInput: [nil, huge, huge],
                detail: "the model input holds more values than can be addressed")
        ) { try square.reshaped(toModelInput: [nil, huge, huge]) }
    }

    // MARK: IDX data sets

    /// Writes images and labels IDX files and returns their URLs.
    private func writeIDX(
        images: [Float], imageShape: [Int], imageType: IDXElementType = .uint8,
        labels: [Float], labelShape: [Int]? = nil, labelType: IDXElementType = .uint8
    ) throws -> (images: URL, labels: URL) {
        let folder = try TestSupport.temporaryDirectory()
        let imagesURL = folder.appendingPathComponent("images.idx")
        let labelsURL = folder.appendingPathComponent("labels.idx")
        try IDXFile.write(images, shape: imageShape, as: imageType, to: imagesURL)
        try IDXFile.write(labels, shape: labelShape ?? [labels.count], as: labelType, to: labelsURL)
        return (imagesURL, labelsURL)
    }

    @Test func loadsUserIDXFiles() throws {
        let files = try writeIDX(images: [0, 51, 102, 255, 0, 0], imageShape: [3, 2], labels: [2, 0, 1])
        let data = try DemoData.idxDataset(images: files.images, labels: files.labels, divisor: 255)
        #expect(data.name == files.images.path)
        #expect(try data.images.shape == [3, 2])
        #expect(try data.images.storage == [0, 0.2, 0.4, 1, 0, 0])
        #expect(data.labels == [2, 0, 1])
        #expect(data.classCount == 3)
        let named = try DemoData.idxDataset(
            images: files.images, labels: files.labels, name: "mine", classCount: 10)
        #expect(try named.name == "mine" && named.classCount == 10 && named.images.storage[1] == 51)
    }

    @Test func userIDXErrorsNameTheFileAtFault() throws {
        let swapped = try writeIDX(images: [1, 2, 3], imageShape: [3], labels: [0, 1, 2])
        #expect(
            throws: ModelIOError.incompatible(
                path: swapped.images.path,
                detail:
                    "has shape [3]; images need [N, ...] with at least 2 dimensions (are images and labels swapped?)")
        ) { try DemoData.idxDataset(images: swapped.images, labels: swapped.labels) }

        let floatLabels = try writeIDX(images: [1, 2], imageShape: [2, 1], labels: [0, 1], labelType: .float32)
        #expect(
            throws: ModelIOError.incompatible(
                path: floatLabels.labels.path,
                detail: "holds float32 values; labels must be uint8, int8, int16 or int32")
        ) { try DemoData.idxDataset(images: floatLabels.images, labels: floatLabels.labels) }

        let shortLabels = try writeIDX(images: [1, 2, 3], imageShape: [3, 1], labels: [0, 1])
        let countError = ModelIOError.incompatible(
            path: shortLabels.labels.path, detail: "holds 2 labels but images.idx holds 3 images")
        #expect(throws: countError) {
            try DemoData.idxDataset(images: shortLabels.images, labels: shortLabels.labels)
        }
        #expect(countError.description == "\(shortLabels.labels.path): holds 2 labels but images.idx holds 3 images")

        let bigLabel = try writeIDX(images: [1, 2, 3], imageShape: [3, 1], labels: [0, 12, 1])
        #expect(
            throws: ModelIOError.malformed(path: bigLabel.labels.path, detail: "label 12 at index 1 is outside 0..<10")
        ) { try DemoData.idxDataset(images: bigLabel.images, labels: bigLabel.labels, classCount: 10) }

        let negative = try writeIDX(images: [1, 2], imageShape: [2, 1], labels: [0, -3], labelType: .int8)
        #expect(
            throws: ModelIOError.malformed(path: negative.labels.path, detail: "label -3 at index 1 is outside 0..<1")
        ) { try DemoData.idxDataset(images: negative.images, labels: negative.labels) }

        let matrixLabels = try writeIDX(
            images: [1, 2], imageShape: [2, 1], labels: [0, 1, 1, 0], labelShape: [2, 2])
        #expect(
            throws: ModelIOError.incompatible(
                path: matrixLabels.labels.path, detail: "has shape [2, 2]; labels need shape [N]")
        ) { try DemoData.idxDataset(images: matrixLabels.images, labels: matrixLabels.labels) }
    }
}

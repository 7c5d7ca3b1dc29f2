import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct DemoDataTests {
    /// The source files the bundle copies, read directly for comparison.
    private func rawPixels(_ split: String) throws -> [UInt8] {
        let url = TestSupport.packageRoot.appendingPathComponent(
            "Sources/QuantCore/Resources/Demo/mnist-\(split)-images.idx3-ubyte")
        return try #require(IDXFile.read(from: url).uint8Values)
    }

    @Test func trainingSplit() throws {
        let train = try DemoData.trainingSet()
        #expect(train.count == 4000)
        #expect(try train.images.shape == [4000, 1, 28, 28])
        #expect(train.sampleShape == [1, 28, 28])
        #expect(train.classCount == 10)
        #expect(train.samplesPerClass == [Int](repeating: 400, count: 10))
        #expect(train.isComplete)
        // Per-class blocks in the script's order: 400 zeros, then 400 ones, ….
        #expect(train.labels == (0..<4000).map { $0 / 400 })
    }

    @Test func heldOutSplit() throws {
        let heldOut = try DemoData.heldOutSet()
        #expect(heldOut.count == 1000)
        #expect(try heldOut.images.shape == [1000, 1, 28, 28])
        #expect(heldOut.classCount == 10)
        #expect(heldOut.samplesPerClass == [Int](repeating: 100, count: 10))
        #expect(heldOut.labels == (0..<1000).map { $0 / 100 })
    }

    @Test func pixelsAreBytesDividedBy255() throws {
        for (split, dataset) in [("train", try DemoData.trainingSet()), ("heldout", try DemoData.heldOutSet())] {
            let storage = try dataset.images.storage
            #expect(storage.min() == 0)
            #expect(storage.max() == 1)
            let raw = try rawPixels(split)
            #expect(raw.count == storage.count)
            // Exactly x / 255 (not x · (1/255), which differs in the last bit for some bytes).
            let firstMismatch = raw.indices.first { storage[$0] != Float(raw[$0]) / 255 }
            #expect(firstMismatch == nil)
        }
    }

    @Test func heldOutImagesDifferFromTrainingImagesOfTheSameClass() throws {
        let train = try DemoData.trainingSet()
        let heldOut = try DemoData.heldOutSet()
        for digit in 0..<10 {
            let trainIndex = digit * DemoData.trainingSamplesPerClass
            let heldOutIndex = digit * DemoData.heldOutSamplesPerClass
            #expect(train.labels[trainIndex] == digit && heldOut.labels[heldOutIndex] == digit)
            let trainImage = try train.images.slice(rows: trainIndex..<(trainIndex + 1)).storage
            let heldOutImage = try heldOut.images.slice(rows: heldOutIndex..<(heldOutIndex + 1)).storage
            #expect(trainImage != heldOutImage, "digit \(digit)")
            // A real digit: some ink, mostly background.
            let ink = heldOutImage.filter { $0 > 0.5 }.count
            #expect(ink > 20 && ink < 400, "digit \(digit) has \(ink) inked pixels")
        }
    }

    @Test func flattensForAnMLP() throws {
        let mlpInput = try DemoData.heldOutSet().reshaped(toModelInput: [nil, 784])
        #expect(try mlpInput.images.shape == [1000, 784])
    }
}

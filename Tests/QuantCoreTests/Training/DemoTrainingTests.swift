import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Trains the demo models on the bundled MNIST split and reports held-out accuracy.
///
/// Slow (a minute or more even in release), so it runs only when `QUANTDASH_TRAIN_DEMO=1`:
/// `QUANTDASH_TRAIN_DEMO=1 swift test -c release -Xswiftc -enable-testing --filter DemoTrainingTests`.
@Suite(.serialized) struct DemoTrainingTests {
    static let isEnabled = ProcessInfo.processInfo.environment["QUANTDASH_TRAIN_DEMO"] == "1"

    @Test(.enabled(if: isEnabled), arguments: DemoModels.Architecture.allCases)
    func recipeReachesTargetAccuracy(architecture: DemoModels.Architecture) throws {
        let demo = TestSupport.packageRoot.appendingPathComponent("Sources/QuantCore/Resources/Demo")
        let (trainImages, trainLabels) = try Self.load(demo, split: "train")
        let (heldOutImages, heldOutLabels) = try Self.load(demo, split: "heldout")
        let recipe = DemoModels.recipe(for: architecture)
        let clock = ContinuousClock()
        var epochLosses: [Float] = []
        let start = clock.now
        let network = try DemoModels.train(recipe, images: trainImages, labels: trainLabels) { epoch, batch, loss in
            if batch == 0 { epochLosses.append(loss) }
        }
        let elapsed = clock.now - start
        let accuracy = try Self.accuracy(of: network, images: heldOutImages, labels: heldOutLabels)
        print(
            "\(architecture): \(recipe) → held-out top-1 \(accuracy) in \(elapsed); weights checksum "
                + "\(String(Self.checksum(of: network), radix: 16)); first-batch losses \(epochLosses)")
        #expect(accuracy >= (architecture == .mlp ? 0.93 : 0.96))
    }

    /// Top-1 accuracy of `network` on a labelled set.
    static func accuracy(of network: Network, images: Tensor, labels: [Int]) throws -> Double {
        let logits = try network.output(for: images)  // [N, 10]
        let classes = logits.shape[1]
        var correct = 0
        for (row, label) in labels.enumerated() {
            let scores = logits.storage[(row * classes)..<((row + 1) * classes)]
            if let best = scores.indices.max(by: { scores[$0] < scores[$1] }), best - scores.startIndex == label {
                correct += 1
            }
        }
        return Double(correct) / Double(labels.count)
    }

    /// FNV-1a over the bit patterns of every parameter: equal checksums mean bit-identical weights.
    static func checksum(of network: Network) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in network.parameters.lazy.flatMap(\.storage) {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
        return hash
    }

    /// Reads one split of the bundled IDX files: images `[N, 1, 28, 28]` (pixels / 255) and labels.
    static func load(_ folder: URL, split: String) throws -> (Tensor, [Int]) {
        let images = try Data(contentsOf: folder.appendingPathComponent("mnist-\(split)-images.idx3-ubyte"))
        let labels = try Data(contentsOf: folder.appendingPathComponent("mnist-\(split)-labels.idx1-ubyte"))
        let bytes = [UInt8](images), labelBytes = [UInt8](labels)
        func word(_ data: [UInt8], _ offset: Int) -> Int {
            data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        try #require(word(bytes, 0) == 0x0803 && word(labelBytes, 0) == 0x0801)
        let count = word(bytes, 4), rows = word(bytes, 8), columns = word(bytes, 12)
        try #require(word(labelBytes, 4) == count && bytes.count == 16 + count * rows * columns)
        let pixels = bytes[16...].map { Float($0) / 255 }
        return (Tensor(shape: [count, 1, rows, columns], storage: pixels), labelBytes[8...].map { Int($0) })
    }
}

import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct TrainerTests {
    /// A tiny two-class problem: 4×4 images whose left or right half is bright (label 0 or 1), plus noise.
    static func halves(count: Int, seed: UInt64) -> (images: Tensor, labels: [Int]) {
        var generator = SplitMix64(seed: seed)
        var storage: [Float] = []
        var labels: [Int] = []
        for index in 0..<count {
            let label = index % 2
            labels.append(label)
            for _ in 0..<4 {
                for x in 0..<4 {
                    let isBright = (x < 2) == (label == 0)
                    storage.append((isBright ? 0.8 : 0.1) + generator.nextFloat(in: -0.1...0.1))
                }
            }
        }
        return (Tensor(shape: [count, 1, 4, 4], storage: storage), labels)
    }

    static func tinyNetwork(seed: UInt64) throws -> Network {
        try Network(
            inputShape: [1, 4, 4],
            layers: [
                .conv2d(inputChannels: 1, outputChannels: 2), .relu, .maxPool2d,  // [2, 2, 2]
                .flatten, .dense(inputs: 8, outputs: 6), .relu, .dense(inputs: 6, outputs: 2),
            ],
            seed: seed)
    }

    @Test func adamFirstStepsMatchHandComputation() {
        // p = 1, lr = 0.1, gradients 0.5, −0.25, 0.125 (Double reference, see Adam's formula):
        // t=1: m = 0.05,   v = 2.5e-4,      p = 1 − 0.1/0.1 · 0.05/(√2.5e-4/√0.001 + ε)       = 0.9
        // t=2: m = 0.02,   v = 3.1225e-4,   p = 0.9 − 0.1/0.19 · 0.02/(√3.1225e-4/√0.001999 + ε) = 0.873366299
        // t=3: m = 0.0305, v = 3.2756275e-4, p                                                = 0.839323385
        var optimizer = Adam(learningRate: 0.1)
        var parameters = [Tensor(shape: [2], storage: [1, -2])]
        var history: [[Float]] = []
        for gradient: Float in [0.5, -0.25, 0.125] {
            optimizer.update(&parameters, gradients: [Tensor(shape: [2], storage: [gradient, 0])])
            history.append(parameters[0].storage)
        }
        #expect(optimizer.step == 3)
        #expect(TestSupport.firstMismatch(history.map { $0[0] }, [0.9, 0.873_366_3, 0.839_323_4], rtol: 1e-6) == nil)
        // A zero gradient leaves the parameter where it is (m = v = 0, so the update is 0/ε = 0).
        #expect(history.map { $0[1] } == [-2, -2, -2])
    }

    @Test func adamFirstStepIsAboutLearningRateTimesSign() {
        var optimizer = Adam()
        var parameters = [Tensor(shape: [3], storage: [0, 0, 0])]
        optimizer.update(&parameters, gradients: [Tensor(shape: [3], storage: [1e-3, -5, 42])])
        #expect(TestSupport.firstMismatch(parameters[0].storage, [-1e-3, 1e-3, -1e-3], rtol: 1e-4) == nil)
    }

    @Test func lossDecreasesOnATinyProblem() throws {
        let (images, labels) = Self.halves(count: 32, seed: 1)
        var network = try Self.tinyNetwork(seed: 2)
        let losses = try Trainer().train(
            &network, images: images, labels: labels, epochs: 15, batchSize: 8, learningRate: 1e-2, seed: 3)
        #expect(losses.count == 15)
        #expect(losses[14] < 0.5 * losses[0], "epoch losses \(losses)")
        let logits = try network.output(for: images)
        let predictions = (0..<32).map { logits[$0, 1] > logits[$0, 0] ? 1 : 0 }
        #expect(predictions == labels)
    }

    @Test func sameSeedGivesIdenticalWeights() throws {
        let (images, labels) = Self.halves(count: 20, seed: 4)
        func run(shuffleSeed: UInt64, trainer: Trainer = Trainer(maximumShift: 1, schedule: .cosine)) throws -> Network
        {
            var network = try Self.tinyNetwork(seed: 5)
            try trainer.train(&network, images: images, labels: labels, epochs: 2, batchSize: 6, seed: shuffleSeed)
            return network
        }
        let first = try run(shuffleSeed: 6)
        #expect(try run(shuffleSeed: 6) == first)
        #expect(try run(shuffleSeed: 7) != first)
        #expect(try Self.tinyNetwork(seed: 5) != first)
        let threeParts = Trainer(chunkCount: 3, maximumShift: 1, schedule: .cosine)
        #expect(try run(shuffleSeed: 6, trainer: threeParts) == (try run(shuffleSeed: 6, trainer: threeParts)))
    }

    @Test func splitBatchGradientsSumToWholeBatchGradients() throws {
        let (images, labels) = Self.halves(count: 7, seed: 8)
        let network = try Self.tinyNetwork(seed: 9)
        let batch = [6, 0, 3, 2, 5]
        let whole = Trainer(chunkCount: 1).lossAndGradients(of: network, images: images, labels: labels, batch: batch)
        let split = Trainer(chunkCount: 2).lossAndGradients(of: network, images: images, labels: labels, batch: batch)
        #expect(abs(whole.loss - split.loss) < 1e-6)
        for (a, b) in zip(whole.gradients, split.gradients) {
            #expect(TestSupport.firstMismatch(b.storage, a.storage, rtol: 1e-4, atol: 1e-6) == nil)
        }
    }

    @Test func progressReportsEveryStep() throws {
        let (images, labels) = Self.halves(count: 10, seed: 10)
        var network = try Self.tinyNetwork(seed: 11)
        var steps: [(Int, Int)] = []
        try Trainer().train(&network, images: images, labels: labels, epochs: 2, batchSize: 4, seed: 12) {
            epoch, batch, loss in
            #expect(loss.isFinite && loss > 0)
            steps.append((epoch, batch))
        }
        // 10 samples in batches of 4: 4, 4, 2.
        #expect(steps.map(\.0) == [0, 0, 0, 1, 1, 1] && steps.map(\.1) == [0, 1, 2, 0, 1, 2])
    }

    @Test func rejectsDataThatDoesNotFit() throws {
        let (images, labels) = Self.halves(count: 4, seed: 13)
        var network = try Self.tinyNetwork(seed: 14)
        let trainer = Trainer()
        #expect(throws: TrainingError.labelCountMismatch(images: 4, labels: 3)) {
            try trainer.train(&network, images: images, labels: [0, 1, 0], epochs: 1, seed: 0)
        }
        #expect(throws: TrainingError.labelOutOfRange(index: 2, label: 2, classCount: 2)) {
            try trainer.train(&network, images: images, labels: [0, 1, 2, 0], epochs: 1, seed: 0)
        }
        #expect(throws: TrainingError.inputShapeMismatch(expected: [1, 4, 4], actual: [4, 16])) {
            try trainer.train(&network, images: images.reshaped([4, 16]), labels: labels, epochs: 1, seed: 0)
        }
        #expect(throws: TrainingError.emptyDataset) {
            try trainer.train(&network, images: Tensor.zeros([0, 1, 4, 4]), labels: [], epochs: 1, seed: 0)
        }
        #expect(throws: TrainingError.invalidHyperparameter(name: "batch size", value: "0")) {
            try trainer.train(&network, images: images, labels: labels, epochs: 1, batchSize: 0, seed: 0)
        }
        var flat = try Network(inputShape: [16], layers: [.dense(inputs: 16, outputs: 2)], seed: 0)
        #expect(throws: TrainingError.self) {
            try Trainer(maximumShift: 1).train(
                &flat, images: images.reshaped([4, 16]), labels: labels, epochs: 1, seed: 0)
        }
        #expect(network == (try Self.tinyNetwork(seed: 14)))
    }

    @Test func shuffleIsASeededPermutation() {
        var generator = SplitMix64(seed: 1)
        var values = Array(0..<50)
        Trainer.shuffle(&values, using: &generator)
        #expect(values.sorted() == Array(0..<50))
        #expect(values != Array(0..<50))
        var again = Array(0..<50)
        var sameGenerator = SplitMix64(seed: 1)
        Trainer.shuffle(&again, using: &sameGenerator)
        #expect(again == values)
    }

    @Test func splitMakesNearlyEqualContiguousParts() {
        #expect(Trainer.split(5, into: 2) == [0..<3, 3..<5])
        #expect(Trainer.split(64, into: 2) == [0..<32, 32..<64])
        #expect(Trainer.split(1, into: 2) == [0..<1])
        #expect(Trainer.split(7, into: 3) == [0..<3, 3..<5, 5..<7])
    }

    @Test func shiftMovesPixelsAndFillsWithZero() {
        // One channel, 3×3: 1…9. Down 1, left 1: out[y, x] = in[y − 1, x + 1].
        let image = (1...9).map(Float.init)[...]
        #expect(Trainer.shifted(image, shape: [1, 3, 3], by: (1, -1)) == [0, 0, 0, 2, 3, 0, 5, 6, 0])
        #expect(Trainer.shifted(image, shape: [1, 3, 3], by: (0, 0)) == Array(image))
        var generator = SplitMix64(seed: 2)
        let shifts = Trainer.randomShifts(200, maximum: 2, using: &generator)
        #expect(shifts.allSatisfy { abs($0.0) <= 2 && abs($0.1) <= 2 })
        #expect(Set(shifts.map { $0.0 * 10 + $0.1 }).count == 25)
    }

    @Test func cosineScheduleAnnealsToZero() {
        let schedule = LearningRateSchedule.cosine
        #expect(schedule.learningRate(base: 0.002, step: 0, totalSteps: 100) == 0.002)
        #expect(abs(schedule.learningRate(base: 0.002, step: 50, totalSteps: 100) - 0.001) < 1e-9)
        #expect(schedule.learningRate(base: 0.002, step: 99, totalSteps: 100) < 1e-6)
        #expect(LearningRateSchedule.constant.learningRate(base: 0.002, step: 99, totalSteps: 100) == 0.002)
    }
}

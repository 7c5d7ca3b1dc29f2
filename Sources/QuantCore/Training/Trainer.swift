import Dispatch

/// Mini-batch training of a `Network` classifier with softmax cross-entropy and Adam.
///
/// Training is deterministic: the same network, data, hyperparameters and seed give bit-identical
/// weights on a given machine and build. Each mini-batch is split into `chunkCount` contiguous
/// parts whose gradients are computed concurrently and summed in a fixed order; the split depends
/// only on `chunkCount`, never on how many cores there are.
public struct Trainer: Sendable {
    /// How many parts each mini-batch is split into for concurrent gradient computation.
    public var chunkCount: Int
    /// Largest random translation, in pixels along each spatial axis, applied to every training
    /// image each time it is used (0 turns augmentation off). Needs `[C, H, W]` samples.
    public var maximumShift: Int
    /// How the learning rate passed to `train` varies over the run.
    public var schedule: LearningRateSchedule

    /// Creates a trainer; the default of 2 parts uses both cores of a small machine.
    public init(chunkCount: Int = 2, maximumShift: Int = 0, schedule: LearningRateSchedule = .constant) {
        self.chunkCount = max(chunkCount, 1)
        self.maximumShift = max(maximumShift, 0)
        self.schedule = schedule
    }

    /// Trains `network` in place and returns the mean training loss of each epoch.
    ///
    /// Each epoch visits the samples in a fresh order (a Fisher–Yates shuffle drawn from one
    /// `SplitMix64(seed:)` for the whole run, which also draws the augmentation shifts); the last
    /// mini-batch of an epoch may be smaller.
    /// The loss of a mini-batch is the mean softmax cross-entropy over its samples.
    ///
    /// - Parameters:
    ///   - images: `[N] + network.inputShape`, e.g. `[N, 1, 28, 28]` with pixels in 0…1.
    ///   - labels: N class indices in `0..<network.outputShape[0]`.
    ///   - epochs: passes over the data.
    ///   - batchSize: samples per Adam step.
    ///   - learningRate: Adam's step size (the base rate when `schedule` varies it).
    ///   - seed: seeds the shuffling and the augmentation shifts.
    ///   - progress: called after every step with the epoch (from 0), the batch (from 0) and its loss.
    /// - Throws: `TrainingError` when the data does not fit the network or a hyperparameter is invalid.
    /// - Complexity: O(epochs · N · cost of one forward and backward pass).
    @discardableResult
    public func train(
        _ network: inout Network, images: Tensor, labels: [Int], epochs: Int, batchSize: Int = 64,
        learningRate: Float = 1e-3, seed: UInt64,
        progress: (_ epoch: Int, _ batch: Int, _ loss: Float) -> Void = { _, _, _ in }
    ) throws -> [Float] {
        let sampleCount = try validate(network, images: images, labels: labels)
        guard epochs >= 0 else { throw TrainingError.invalidHyperparameter(name: "epochs", value: "\(epochs)") }
        guard batchSize > 0 else {
            throw TrainingError.invalidHyperparameter(name: "batch size", value: "\(batchSize)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw TrainingError.invalidHyperparameter(name: "learning rate", value: "\(learningRate)")
        }
        if maximumShift > 0 && network.inputShape.count != 3 {
            throw TrainingError.invalidHyperparameter(
                name: "maximum shift", value: "\(maximumShift) (needs [C, H, W] samples, not \(network.inputShape))")
        }

        var optimizer = Adam(learningRate: learningRate)
        var generator = SplitMix64(seed: seed)
        var order = Array(0..<sampleCount)
        var epochLosses: [Float] = []
        let batchesPerEpoch = (sampleCount + batchSize - 1) / batchSize
        var step = 0
        for epoch in 0..<epochs {
            Trainer.shuffle(&order, using: &generator)
            var lossSum: Double = 0
            var batchIndex = 0
            for start in stride(from: 0, to: sampleCount, by: batchSize) {
                let batch = Array(order[start..<min(start + batchSize, sampleCount)])
                let shifts =
                    maximumShift > 0 ? Trainer.randomShifts(batch.count, maximum: maximumShift, using: &generator) : nil
                let (loss, gradients) = lossAndGradients(
                    of: network, images: images, labels: labels, batch: batch, shifts: shifts)
                optimizer.learningRate = schedule.learningRate(
                    base: learningRate, step: step, totalSteps: epochs * batchesPerEpoch)
                optimizer.update(&network.parameters, gradients: gradients)
                step += 1
                lossSum += Double(loss) * Double(batch.count)
                progress(epoch, batchIndex, loss)
                batchIndex += 1
            }
            epochLosses.append(Float(lossSum / Double(sampleCount)))
        }
        return epochLosses
    }

    /// Checks shapes and labels; returns the number of samples.
    private func validate(_ network: Network, images: Tensor, labels: [Int]) throws -> Int {
        guard images.rank == network.inputShape.count + 1, Array(images.shape.dropFirst()) == network.inputShape else {
            throw TrainingError.inputShapeMismatch(expected: network.inputShape, actual: images.shape)
        }
        let sampleCount = images.shape[0]
        guard sampleCount > 0 else { throw TrainingError.emptyDataset }
        guard labels.count == sampleCount else {
            throw TrainingError.labelCountMismatch(images: sampleCount, labels: labels.count)
        }
        guard network.outputShape.count == 1, let classCount = network.outputShape.first else {
            throw TrainingError.outputNotLogits(shape: network.outputShape)
        }
        if let bad = labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
            throw TrainingError.labelOutOfRange(index: bad, label: labels[bad], classCount: classCount)
        }
        return sampleCount
    }

    /// Mean loss and summed gradients of one mini-batch, its parts computed concurrently.
    ///
    /// - Parameter shifts: per batch member, the `(dy, dx)` translation to apply, or `nil` for none.
    func lossAndGradients(
        of network: Network, images: Tensor, labels: [Int], batch: [Int], shifts: [(Int, Int)]? = nil
    ) -> (loss: Float, gradients: [Tensor]) {
        let parts = Trainer.split(batch.count, into: chunkCount)
        let slots = ResultSlots<(loss: Float, gradients: [Tensor])>(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { part in
            let members = Array(batch[parts[part]])
            let partShifts = shifts.map { Array($0[parts[part]]) }
            let partImages = Trainer.gather(images, rows: members, sampleShape: network.inputShape, shifts: partShifts)
            let partLabels = members.map { labels[$0] }
            slots.store(
                network.lossAndGradients(images: partImages, labels: partLabels, normalizer: batch.count), at: part)
        }
        // Sum in part order so the result does not depend on which thread finished first.
        var loss: Float = 0
        var gradients = network.zeroGradients()
        for part in slots.values {
            guard let part else { continue }
            loss += part.loss
            for index in gradients.indices {
                for element in gradients[index].storage.indices {
                    gradients[index].storage[element] += part.gradients[index].storage[element]
                }
            }
        }
        return (loss, gradients)
    }
}

/// Fixed slots that concurrent workers fill, each worker writing only its own index.
final class ResultSlots<Value>: @unchecked Sendable {
    // Safety: `store` is called at most once per index, from one worker each, and `values` is
    // read only after `concurrentPerform` has returned (which orders those writes before it).
    private let buffer: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    func store(_ value: Value, at index: Int) { buffer[index] = value }

    var values: [Value?] { Array(buffer) }
}

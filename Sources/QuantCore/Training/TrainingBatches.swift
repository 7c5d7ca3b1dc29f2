import Dispatch

/// The training side of a fine-tuning run: the samples, their labels (if any), the teacher's
/// logits for every sample (computed once), and the concurrent loss-and-gradient of a mini-batch.
struct TrainingBatches: Sendable {
    /// `[N] + sampleShape`.
    let images: Tensor
    /// N labels, or nil for unlabeled data.
    let labels: [Int]?
    /// The teacher's logits `[N, K]`.
    let teacherLogits: Tensor
    let sampleShape: [Int]
    let classCount: Int
    let batchSize: Int
    let chunkCount: Int

    /// Number of samples.
    var count: Int { images.shape[0] }
    /// Steps in one pass over the data.
    var batchesPerEpoch: Int { (count + batchSize - 1) / batchSize }

    /// Checks `options` and the data against `network` (the float teacher) and runs the teacher.
    ///
    /// - Throws: `FineTuningError.invalidOption` or `.unsuitableData` naming `file`.
    init(training: Dataset, file: String, network: Network, options: FineTuner.Options) throws {
        try TrainingBatches.validate(options)
        guard network.outputShape.count == 1, let classCount = network.outputShape.first else {
            throw FineTuningError.unsupportedGraph(
                file: file, problem: "its output has per-sample shape \(network.outputShape), not class logits [K]")
        }
        let reshaped: Dataset
        do {
            reshaped = try training.reshaped(toModelInput: [nil] + network.inputShape.map { Optional($0) })
        } catch let error as EvaluationError {
            throw FineTuningError.unsuitableData(file: file, problem: error.description)
        }
        guard reshaped.count > 0 else { throw FineTuningError.unsuitableData(file: file, problem: "it has no samples") }
        images = try reshaped.images
        if reshaped.hasLabels {
            if let bad = reshaped.labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
                throw FineTuningError.unsuitableData(
                    file: file,
                    problem: "label \(reshaped.labels[bad]) of sample \(bad) is outside the model's 0..<\(classCount)")
            }
            labels = reshaped.labels
        } else {
            labels = nil
        }
        sampleShape = network.inputShape
        self.classCount = classCount
        batchSize = options.batchSize
        chunkCount = max(options.chunkCount, 1)
        teacherLogits = TrainingBatches.logits(of: network, images: images, chunkCount: chunkCount)
    }

    static func validate(_ options: FineTuner.Options) throws {
        func refuse(_ name: String, _ value: CustomStringConvertible) -> FineTuningError {
            .invalidOption(name: name, value: "\(value)")
        }
        if options.steps == nil, options.epochs < 1 { throw refuse("epochs", options.epochs) }
        if let steps = options.steps, steps < 1 { throw refuse("steps", steps) }
        if options.batchSize < 1 { throw refuse("batch size", options.batchSize) }
        if !(options.learningRate.isFinite && options.learningRate > 0) {
            throw refuse("learning rate", options.learningRate)
        }
        if !(options.temperature.isFinite && options.temperature > 0) {
            throw refuse("temperature", options.temperature)
        }
        if !(options.labelWeight.isFinite && options.labelWeight >= 0) {
            throw refuse("label weight", options.labelWeight)
        }
    }

    /// The network's logits for every sample, `[N, K]`, in batches of 256 spread over `chunkCount` threads.
    static func logits(of network: Network, images: Tensor, chunkCount: Int) -> Tensor {
        let count = images.shape[0], classes = network.outputShape.reduce(1, *)
        let batches = Array(stride(from: 0, to: count, by: 256))
        let slots = ResultSlots<Tensor>(count: batches.count)
        DispatchQueue.concurrentPerform(iterations: min(chunkCount, batches.count)) { worker in
            for index in stride(from: worker, to: batches.count, by: chunkCount) {
                let rows = Array(batches[index]..<min(batches[index] + 256, count))
                let batch = Trainer.gather(images, rows: rows, sampleShape: network.inputShape)
                slots.store(network.forward(batch, caching: false).output, at: index)
            }
        }
        var storage: [Float] = []
        storage.reserveCapacity(count * classes)
        for part in slots.values { storage += part?.storage ?? [] }
        return Tensor(shape: [count, classes], storage: storage)
    }

    /// The distillation loss of one mini-batch (sample indices `batch`) and its parameter
    /// gradients, its parts computed concurrently and summed in part order (deterministic).
    func lossAndGradients(of network: Network, batch: [Int], loss: DistillationLoss) -> (Float, [Tensor]) {
        let parts = Trainer.split(batch.count, into: chunkCount)
        let slots = ResultSlots<(loss: Float, gradients: [Tensor])>(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { part in
            let members = Array(batch[parts[part]])
            let partImages = Trainer.gather(images, rows: members, sampleShape: sampleShape)
            let teacher = Trainer.gather(teacherLogits, rows: members, sampleShape: [classCount])
            let (output, caches) = network.forward(partImages, caching: true)
            let (value, logitGradient) = loss.lossAndGradient(
                student: output, teacher: teacher, labels: labels.map { all in members.map { all[$0] } },
                normalizer: batch.count)
            var gradients = network.zeroGradients()
            network.backward(caches: caches, outputGradient: logitGradient, gradients: &gradients)
            slots.store((value, gradients), at: part)
        }
        var total: Float = 0
        var gradients = network.zeroGradients()
        for part in slots.values {
            guard let part else { continue }
            total += part.loss
            for index in gradients.indices {
                gradients[index].storage.withUnsafeMutableBufferPointer { sum in
                    for element in sum.indices { sum[element] += part.gradients[index].storage[element] }
                }
            }
        }
        return (total, gradients)
    }
}

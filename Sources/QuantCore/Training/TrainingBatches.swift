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

    /// Checks `options` and the data against `backend`'s model and runs the teacher (the model
    /// with `teacher`'s initializers).
    ///
    /// - Throws: `FineTuningError.invalidOption` or `.unsuitableData` naming `file`;
    ///   `CancellationError` when cancelled during the teacher pass.
    init(
        training: Dataset, file: String, backend: FineTuningBackend, teacher: [String: Tensor],
        options: FineTuner.Options, isCancelled: () -> Bool = { false }
    ) throws {
        try TrainingBatches.validate(options)
        let reshaped: Dataset
        do {
            reshaped = try training.reshaped(toModelInput: [nil] + backend.sampleShape.map { Optional($0) })
        } catch let error as EvaluationError {
            throw FineTuningError.unsuitableData(file: file, problem: error.description)
        }
        guard reshaped.count > 0 else { throw FineTuningError.unsuitableData(file: file, problem: "it has no samples") }
        images = try reshaped.images
        sampleShape = backend.sampleShape
        batchSize = options.batchSize
        chunkCount = max(options.chunkCount, 1)
        teacherLogits = try TrainingBatches.logits(
            of: backend, values: teacher, images: images, chunkCount: chunkCount, isCancelled: isCancelled)
        guard teacherLogits.rank == 2, teacherLogits.shape[1] > 0 else {
            throw FineTuningError.unsupportedGraph(
                file: file,
                problem: "its output has per-sample shape \(teacherLogits.shape.dropFirst()), not class logits [K]")
        }
        let classCount = teacherLogits.shape[1]
        self.classCount = classCount
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

    /// The model's logits for every sample, `[N, K]`, in batches of 256, `chunkCount` batches
    /// at a time on as many threads; `isCancelled` is checked before each round.
    ///
    /// - Throws: `CancellationError` when cancelled; `GraphError` when the model fails.
    static func logits(
        of backend: FineTuningBackend, values: [String: Tensor], images: Tensor, chunkCount: Int,
        isCancelled: () -> Bool
    ) throws -> Tensor {
        let count = images.shape[0], sampleShape = backend.sampleShape
        let batches = Array(stride(from: 0, to: count, by: 256))
        var parts: [Tensor] = []
        for round in stride(from: 0, to: batches.count, by: chunkCount) {
            if isCancelled() { throw CancellationError() }
            let members = Array(batches[round..<min(round + chunkCount, batches.count)])
            let slots = ResultSlots<Result<Tensor, Error>>(count: members.count)
            DispatchQueue.concurrentPerform(iterations: members.count) { index in
                let rows = Array(members[index]..<min(members[index] + 256, count))
                let batch = Trainer.gather(images, rows: rows, sampleShape: sampleShape)
                slots.store(Result { try backend.logits(batch, values: values) }, at: index)
            }
            for slot in slots.values { try slot.map { parts.append(try $0.get()) } }
        }
        let classes = parts.first.map { Array($0.shape.dropFirst()) } ?? []
        return Tensor(shape: [count] + classes, storage: parts.flatMap(\.storage))
    }

    /// The distillation loss of one mini-batch (sample indices `batch`) and its gradient per
    /// initializer in `values` (the student's), its parts computed concurrently and summed in
    /// part order (deterministic).
    func lossAndGradients(
        of backend: FineTuningBackend, values: [String: Tensor], batch: [Int], loss: DistillationLoss
    ) throws -> (Float, [String: Tensor]) {
        let parts = Trainer.split(batch.count, into: chunkCount)
        let slots = ResultSlots<Result<(Float, [String: Tensor]), Error>>(count: parts.count)
        DispatchQueue.concurrentPerform(iterations: parts.count) { part in
            let members = Array(batch[parts[part]])
            let partImages = Trainer.gather(images, rows: members, sampleShape: sampleShape)
            let teacher = Trainer.gather(teacherLogits, rows: members, sampleShape: [classCount])
            let partLabels = labels.map { all in members.map { all[$0] } }
            slots.store(
                Result {
                    try backend.lossAndGradients(partImages, values: values) { output in
                        loss.lossAndGradient(
                            student: output, teacher: teacher, labels: partLabels, normalizer: batch.count)
                    }
                }, at: part)
        }
        var total: Float = 0
        var gradients: [String: Tensor] = [:]
        for slot in slots.values {
            guard let (value, partGradients) = try slot?.get() else { continue }
            total += value
            for (name, gradient) in partGradients {
                if let sum = gradients[name] {
                    gradients[name] = Backward.sum(sum, gradient)
                } else {
                    gradients[name] = gradient
                }
            }
        }
        return (total, gradients)
    }
}

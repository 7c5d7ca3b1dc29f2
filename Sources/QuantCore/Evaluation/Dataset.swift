/// Labeled samples for evaluation or training: images `[N, ...]` and one class label each.
///
/// The images are held in memory, or — for a large `.npy` file — read from the file a batch at
/// a time (`StreamedSamples`), so evaluation memory does not grow with the number of samples.
/// Either way `images(in:)` gives a batch and `images` the whole set (which reads all of a
/// streamed set: for training and small sets only).
///
/// A data set remembers where it was cut from: `subset(_:)` and `first(_:)` keep the original
/// `sourceCount` and record `sourceRange`, so an evaluation knows whether it saw the whole set
/// (an exact result) or part of it (an estimate), and reference predictions made on the whole
/// set can be cut to match with `Array(reference[subset.sourceRange])`.
public struct Dataset: Sendable, Equatable {
    /// What the data is, for messages: the file it came from, or a descriptive name.
    public var name: String
    /// Where the samples are.
    private var storage: Storage
    /// The shape of one sample, e.g. `[1, 28, 28]`.
    public private(set) var sampleShape: [Int]
    /// The class of each sample, each in `0..<classCount`.
    public private(set) var labels: [Int]
    /// The number of classes (labels lie in `0..<classCount`).
    public let classCount: Int
    /// Where these samples lie in the data set they were cut from (`0..<count` when uncut).
    public private(set) var sourceRange: Range<Int>
    /// The number of samples in the data set this one was cut from.
    public private(set) var sourceCount: Int
    /// Whether the labels are real; `false` for data given without labels (every label is
    /// then 0 and evaluation reports fidelity to the float model instead of accuracy).
    public var hasLabels = true
    /// Other model inputs fed by name, each `[N, ...]` in memory (`Dataset+Inputs.swift`).
    public internal(set) var extraInputs: [String: Tensor] = [:]

    /// Creates a data set after checking that images and labels fit together.
    ///
    /// - Parameters:
    ///   - name: names the data in errors and reports; use the file path for file data.
    ///   - images: `[N, ...]`, at least rank 1.
    ///   - labels: `N` labels, each in `0..<classCount`.
    ///   - classCount: the number of classes; `nil` means the largest label plus one, at most
    ///     `maximumInferredClassCount` (a larger label is then out of range).
    /// - Throws: `EvaluationError` naming `name` when the counts differ or a label is out of range.
    public init(name: String, images: Tensor, labels: [Int], classCount: Int? = nil) throws {
        guard images.rank >= 1 else { throw EvaluationError.missingSampleAxis(dataset: name) }
        guard images.shape[0] == labels.count else {
            throw EvaluationError.countMismatch(dataset: name, images: images.shape[0], labels: labels.count)
        }
        try self.init(
            name: name, storage: .memory(images), sampleShape: Array(images.shape.dropFirst()), labels: labels,
            classCount: classCount)
    }

    /// The shared part of the initializers: checks the labels.
    private init(name: String, storage: Storage, sampleShape: [Int], labels: [Int], classCount: Int?) throws {
        // An inferred class count is capped, so one absurd label (Int.max, 10^12) cannot overflow
        // or ask for a per-class table of that size.
        let classes = classCount ?? min((labels.max() ?? 0), Self.maximumInferredClassCount - 1) + 1
        guard classes >= 1 else { throw EvaluationError.invalidClassCount(dataset: name, classCount: classes) }
        if let index = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw EvaluationError.labelOutOfRange(
                dataset: name, index: index, label: labels[index], classCount: classes)
        }
        self.name = name
        self.storage = storage
        self.sampleShape = sampleShape
        self.labels = labels
        self.classCount = classes
        self.sourceRange = 0..<labels.count
        self.sourceCount = labels.count
    }

    /// A data set whose images are read from `samples` a batch at a time.
    ///
    /// - Throws: `EvaluationError` as `init(name:images:labels:classCount:)`.
    public init(name: String, samples: StreamedSamples, labels: [Int], classCount: Int? = nil) throws {
        guard samples.shape.count >= 1 else { throw EvaluationError.missingSampleAxis(dataset: name) }
        guard samples.count == labels.count else {
            throw EvaluationError.countMismatch(dataset: name, images: samples.count, labels: labels.count)
        }
        try self.init(
            name: name, storage: .streamed(samples, rows: .range(0..<labels.count)),
            sampleShape: Array(samples.shape.dropFirst()), labels: labels, classCount: classCount)
    }

    /// Where a data set's samples are.
    private enum Storage: Sendable, Equatable {
        /// All images in memory, `[N, ...]`.
        case memory(Tensor)
        /// Rows of a file, read when needed.
        case streamed(StreamedSamples, rows: Rows)

        static func == (lhs: Storage, rhs: Storage) -> Bool {
            switch (lhs, rhs) {
            case (.memory(let a), .memory(let b)): a == b
            case (.streamed(let a, let rowsA), .streamed(let b, let rowsB)): a === b && rowsA == rowsB
            default: false
            }
        }
    }

    /// Which rows of a streamed file a data set holds, in order.
    private enum Rows: Sendable, Equatable {
        /// Consecutive rows.
        case range(Range<Int>)
        /// Any rows.
        case list([Int])

        /// The file rows of samples `range` of the data set.
        func slice(_ range: Range<Int>) -> Rows {
            switch self {
            case .range(let rows):
                .range((rows.lowerBound + range.lowerBound)..<(rows.lowerBound + range.upperBound))
            case .list(let rows): .list(Array(rows[range]))
            }
        }

        /// The file rows of the samples at `indices`.
        func pick(_ indices: [Int]) -> Rows {
            switch self {
            case .range(let rows): .list(indices.map { rows.lowerBound + $0 })
            case .list(let rows): .list(indices.map { rows[$0] })
            }
        }
    }

    /// Whether the images are read from a file batch by batch rather than held in memory.
    public var isStreamed: Bool {
        if case .streamed = storage { return true }
        return false
    }

    /// Bytes of image values held in memory (0 for a streamed set).
    public var residentImageBytes: Int {
        if case .memory(let images) = storage { return images.count * MemoryLayout<Float>.stride }
        return 0
    }

    /// Every sample, `[N, ...]` (a streamed set is read whole: use `images(in:)` for batches).
    ///
    /// - Throws: `ModelIOError` when a streamed file can no longer be read.
    public var images: Tensor {
        get throws { try images(in: 0..<count) }
    }

    /// Samples `range` (within `0..<count`) as `[range.count, ...]`.
    ///
    /// - Throws: `ModelIOError` when a streamed file can no longer be read.
    public func images(in range: Range<Int>) throws -> Tensor {
        switch storage {
        case .memory(let images):
            return range == 0..<count ? images : images.slice(rows: range)
        case .streamed(let samples, let rows):
            let shape = [range.count] + sampleShape
            switch rows.slice(range) {
            case .range(let fileRows): return Tensor(shape: shape, storage: try samples.values(rows: fileRows))
            case .list(let fileRows): return Tensor(shape: shape, storage: try samples.values(indices: fileRows))
            }
        }
    }

    /// The samples at `indices` (each in `0..<count`), in that order, as a new data set named
    /// `name` (a streamed set stays streamed: nothing is read).
    public func picking(_ indices: [Int], name: String) -> Dataset {
        var result = self
        result.name = name
        result.labels = indices.map { labels[$0] }
        result.extraInputs = pickedExtraInputs(indices)
        result.sourceRange = 0..<indices.count
        result.sourceCount = indices.count
        switch storage {
        case .memory(let images):
            let perSample = sampleElementCount
            var values = [Float]()
            values.reserveCapacity(indices.count * perSample)
            images.storage.withUnsafeBufferPointer { buffer in
                for index in indices { values += buffer[(index * perSample)..<((index + 1) * perSample)] }
            }
            result.storage = .memory(Tensor(shape: [indices.count] + sampleShape, storage: values))
        case .streamed(let samples, let rows):
            result.storage = .streamed(samples, rows: rows.pick(indices))
        }
        return result
    }

    /// The largest class count inferred from labels alone (a million; ImageNet-21k has 21 841).
    public static let maximumInferredClassCount = 1_000_000

    /// The number of samples.
    public var count: Int { labels.count }

    /// Whether this holds every sample of the set it was cut from.
    public var isComplete: Bool { count == sourceCount }

    /// The number of values in one sample, e.g. 784.
    public var sampleElementCount: Int { Tensor.elementCount(of: sampleShape) }

    /// The number of samples of each class, indexed by class.
    public var samplesPerClass: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// Samples `range` (clamped to `0..<count`) as a data set that remembers its origin.
    public func subset(_ range: Range<Int>) -> Dataset {
        let lower = min(max(range.lowerBound, 0), count)
        let upper = min(max(range.upperBound, lower), count)
        var result = self
        switch storage {
        case .memory(let images): result.storage = .memory(images.slice(rows: lower..<upper))
        case .streamed(let samples, let rows): result.storage = .streamed(samples, rows: rows.slice(lower..<upper))
        }
        result.labels = Array(labels[lower..<upper])
        result.extraInputs = extraInputs.mapValues { $0.slice(rows: lower..<upper) }
        result.sourceRange = (sourceRange.lowerBound + lower)..<(sourceRange.lowerBound + upper)
        return result
    }

    /// The first `n` samples (all of them when `n >= count`).
    public func first(_ n: Int) -> Dataset {
        n >= count ? self : subset(0..<max(n, 0))
    }

    /// Consecutive ranges of at most `size` samples covering `0..<count` (a size below 1 counts as 1).
    public func batchRanges(of size: Int) -> [Range<Int>] {
        let size = max(size, 1)
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// The data in consecutive batches of at most `size` samples, each cut when it is reached.
    public func batches(of size: Int) -> LazyMapSequence<[Range<Int>], Dataset> {
        batchRanges(of: size).lazy.map { subset($0) }
    }

    /// The same samples shaped for a model input such as `[batch, 1, 28, 28]`.
    ///
    /// Axis 0 of `shape` is the batch and is ignored (a model with a fixed batch of 1 must be
    /// evaluated with batch size 1). The remaining axes must hold as many values as one sample;
    /// e.g. `[N, 28, 28]` or `[N, 784]` become `[N, 1, 28, 28]`. A dynamic (`nil`) sample axis
    /// takes the data's extent when the ranks agree, or is inferred when it is the only one.
    ///
    /// - Throws: `EvaluationError.inputShapeMismatch` saying what does not fit.
    public func reshaped(toModelInput shape: [Int?]) throws -> Dataset {
        func mismatch(_ detail: String) -> EvaluationError {
            .inputShapeMismatch(dataset: name, sampleShape: sampleShape, modelInput: shape, detail: detail)
        }
        guard shape.count >= 1 else { throw mismatch("the model input has no batch axis") }
        let target = Array(shape.dropFirst())
        let dynamicAxes = target.indices.filter { target[$0] == nil }
        var sampleTarget: [Int]
        if dynamicAxes.isEmpty {
            sampleTarget = target.map { $0 ?? 0 }
        } else if target.count == sampleShape.count {
            sampleTarget = zip(target, sampleShape).map { $0 ?? $1 }
        } else if dynamicAxes.count == 1 {
            let fixed = target.compactMap { $0 }
            guard let known = Self.checkedProduct(fixed), known > 0, sampleElementCount % known == 0 else {
                throw mismatch(
                    "\(sampleElementCount) values per sample are not a multiple of the fixed axes \(EvaluationError.format(fixed))"
                )
            }
            sampleTarget = target.map { $0 ?? sampleElementCount / known }
        } else {
            throw mismatch("\(dynamicAxes.count) dynamic axes besides the batch cannot be inferred")
        }
        guard sampleTarget.allSatisfy({ $0 >= 0 }) else { throw mismatch("negative extent") }
        guard let needed = Self.checkedProduct(sampleTarget) else {
            throw mismatch("the model input holds more values than can be addressed")
        }
        guard needed == sampleElementCount else {
            throw mismatch("the model needs \(needed) values per sample, the data has \(sampleElementCount)")
        }
        var result = self
        result.sampleShape = sampleTarget
        if case .memory(let images) = storage { result.storage = .memory(images.reshaped([count] + sampleTarget)) }
        return result
    }

    /// The product of `extents`, or `nil` when it overflows `Int`.
    private static func checkedProduct(_ extents: [Int]) -> Int? {
        var product = 1
        for extent in extents {
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            product = next
        }
        return product
    }
}

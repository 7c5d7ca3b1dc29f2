/// Problems building a data set or evaluating a model on it, each naming the data set.
///
/// A data set's name is the file it came from when it came from a file, so these messages
/// point at the file too.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The number of images and the number of labels differ.
    case countMismatch(dataset: String, images: Int, labels: Int)
    /// A label lies outside `0..<classCount`.
    case labelOutOfRange(dataset: String, index: Int, label: Int, classCount: Int)
    /// The class count is below 1.
    case invalidClassCount(dataset: String, classCount: Int)
    /// The images tensor has no sample axis (rank 0).
    case missingSampleAxis(dataset: String)
    /// The samples cannot be reshaped to the model's input.
    case inputShapeMismatch(dataset: String, sampleShape: [Int], modelInput: [Int?], detail: String)
    /// The data set holds no samples, so there is nothing to evaluate.
    case emptyDataset(dataset: String)
    /// The batch size is below 1.
    case invalidBatchSize(Int)
    /// The forward function returned logits of the wrong shape for a batch.
    case logitsShape(dataset: String, batch: Range<Int>, expected: String, got: [Int])
    /// The reference predictions do not cover the data set one to one.
    case referenceCountMismatch(dataset: String, expected: Int, got: Int)
    /// Activation quantization was asked for but no calibration data (training split) was given.
    case noCalibrationData(model: String)

    /// One line for the user, starting with the data set.
    public var description: String {
        switch self {
        case .countMismatch(let dataset, let images, let labels):
            "\(dataset): \(images) images but \(labels) labels; each image needs exactly one label"
        case .labelOutOfRange(let dataset, let index, let label, let classCount):
            "\(dataset): label \(label) of sample \(index) is outside 0..<\(classCount)"
        case .invalidClassCount(let dataset, let classCount):
            "\(dataset): class count \(classCount) must be at least 1"
        case .missingSampleAxis(let dataset):
            "\(dataset): images must have shape [N, ...] with a sample axis, got a scalar"
        case .inputShapeMismatch(let dataset, let sampleShape, let modelInput, let detail):
            "\(dataset): samples of shape \(Self.format(sampleShape)) do not fit model input \(Self.format(modelInput)): \(detail)"
        case .emptyDataset(let dataset):
            "\(dataset): no samples to evaluate"
        case .noCalibrationData(let model):
            "\(model): activation quantization needs calibration data from the training split (--calibration)"
        case .invalidBatchSize(let size):
            "batch size \(size) must be at least 1"
        case .logitsShape(let dataset, let batch, let expected, let got):
            "\(dataset): samples \(batch.lowerBound)..<\(batch.upperBound): the model returned logits of shape \(Self.format(got)), expected \(expected)"
        case .referenceCountMismatch(let dataset, let expected, let got):
            "\(dataset): \(got) reference predictions for \(expected) samples"
        }
    }

    /// A shape written `[1, 28, 28]`, with `batch` for dynamic axes.
    public static func format(_ shape: [Int?]) -> String {
        "[" + shape.map { $0.map(String.init) ?? "batch" }.joined(separator: ", ") + "]"
    }

    /// A shape written `[1, 28, 28]`.
    public static func format(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}

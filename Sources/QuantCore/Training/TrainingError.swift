/// Problems with a network's architecture or with the data handed to the trainer.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A layer cannot accept the shape the previous layer produces (per sample, batch axis excluded).
    case incompatibleLayer(index: Int, layer: String, inputShape: [Int])
    /// The input tensor is not `[N] + inputShape`.
    case inputShapeMismatch(expected: [Int], actual: [Int])
    /// The number of labels differs from the number of images.
    case labelCountMismatch(images: Int, labels: Int)
    /// A label is outside `0..<classCount`.
    case labelOutOfRange(index: Int, label: Int, classCount: Int)
    /// The network's output is not a vector of class logits (per-sample shape `[K]`).
    case outputNotLogits(shape: [Int])
    /// There is nothing to train on.
    case emptyDataset
    /// A hyperparameter is out of range (e.g. a batch size of 0).
    case invalidHyperparameter(name: String, value: String)

    /// One line for the user.
    public var description: String {
        switch self {
        case .incompatibleLayer(let index, let layer, let shape):
            "layer \(index) (\(layer)) cannot take an input of shape \(shape)"
        case .inputShapeMismatch(let expected, let actual):
            "input has shape \(actual), the network expects [N] + \(expected)"
        case .labelCountMismatch(let images, let labels):
            "\(images) images but \(labels) labels"
        case .labelOutOfRange(let index, let label, let classCount):
            "label \(label) at index \(index) is outside 0..<\(classCount)"
        case .outputNotLogits(let shape):
            "the network's output has per-sample shape \(shape); training needs class logits [K]"
        case .emptyDataset:
            "the training set is empty"
        case .invalidHyperparameter(let name, let value):
            "invalid \(name): \(value)"
        }
    }
}

import Foundation

/// The bundled MNIST demo data and a loader for IDX data sets.
///
/// The demo holds 5000 digits, 500 per class, split per class in file order by
/// `Scripts/convert_mnist.py`: the first 400 of each class form the training split (4000), the
/// last 100 the held-out split (1000). Samples are ordered by class: all 0s, then all 1s, ….
/// Pixels are divided by 255 into [0, 1]; images have shape `[N, 1, 28, 28]`.
public enum DemoData {
    /// Training samples per class in the demo (calibration comes from these).
    public static let trainingSamplesPerClass = 400
    /// Held-out samples per class in the demo (accuracy is measured on these).
    public static let heldOutSamplesPerClass = 100
    /// The number of digit classes.
    public static let classCount = 10
    /// The shape of one demo sample.
    public static let sampleShape = [1, 28, 28]

    /// The 4000-image training split, images `[4000, 1, 28, 28]` in [0, 1], labels 0–9.
    ///
    /// - Throws: `ModelIOError` naming the bundled file when it is missing or damaged.
    public static func trainingSet() throws -> Dataset {
        try bundledDataset(split: "train", name: "MNIST demo training split")
    }

    /// The 1000-image held-out split, images `[1000, 1, 28, 28]` in [0, 1], labels 0–9.
    ///
    /// - Throws: `ModelIOError` naming the bundled file when it is missing or damaged.
    public static func heldOutSet() throws -> Dataset {
        try bundledDataset(split: "heldout", name: "MNIST demo held-out split")
    }

    /// Loads a data set from an IDX images file `[N, ...]` and an IDX labels file `[N]`.
    ///
    /// - Parameters:
    ///   - images: any IDX element type; values are divided by `divisor`.
    ///   - labels: an integer IDX file (uint8, int8, int16 or int32) of shape `[N]` or `[N, 1]`.
    ///   - name: names the data set in reports; defaults to the images file's path.
    ///   - divisor: every image value is divided by it, e.g. 255 for 8-bit pixels (as `x / 255`).
    ///   - classCount: the number of classes; `nil` means the largest label plus one.
    /// - Throws: `ModelIOError` naming the file at fault: unreadable or malformed IDX, labels
    ///   that are not integers or out of range, or counts that differ.
    public static func idxDataset(
        images: URL, labels: URL, name: String? = nil, divisor: Float = 1, classCount: Int? = nil
    ) throws -> Dataset {
        let imageFile = try IDXFile.read(from: images)
        let labelFile = try IDXFile.read(from: labels)
        guard imageFile.shape.count >= 2 else {
            throw ModelIOError.incompatible(
                path: images.path,
                detail:
                    "has shape \(EvaluationError.format(imageFile.shape)); images need [N, ...] with at least 2 dimensions (are images and labels swapped?)"
            )
        }
        guard labelFile.shape.count == 1 || (labelFile.shape.count == 2 && labelFile.shape[1] == 1) else {
            throw ModelIOError.incompatible(
                path: labels.path,
                detail: "has shape \(EvaluationError.format(labelFile.shape)); labels need shape [N]")
        }
        guard let labelValues = labelFile.integerValues() else {
            throw ModelIOError.incompatible(
                path: labels.path,
                detail: "holds \(labelFile.elementType) values; labels must be uint8, int8, int16 or int32")
        }
        guard labelValues.count == imageFile.shape[0] else {
            throw ModelIOError.incompatible(
                path: labels.path,
                detail:
                    "holds \(labelValues.count) labels but \(images.lastPathComponent) holds \(imageFile.shape[0]) images"
            )
        }
        let classes = classCount ?? ((labelValues.max() ?? 0) + 1)
        guard classes >= 1 else {
            throw ModelIOError.incompatible(path: labels.path, detail: "class count \(classes) must be at least 1")
        }
        if let index = labelValues.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw ModelIOError.malformed(
                path: labels.path,
                detail: "label \(labelValues[index]) at index \(index) is outside 0..<\(classes)")
        }
        return try Dataset(
            name: name ?? images.path, images: imageFile.tensor(dividedBy: divisor), labels: labelValues,
            classCount: classes)
    }

    /// The bundled held-out images and labels files (what `FileReference.demoHeldOut()` digests).
    ///
    /// - Throws: `ModelIOError.unreadable` when a file is missing from the bundle.
    public static func heldOutFiles() throws -> (images: URL, labels: URL) {
        (
            try bundledFile("mnist-heldout-images", extension: "idx3-ubyte"),
            try bundledFile("mnist-heldout-labels", extension: "idx1-ubyte")
        )
    }

    /// Loads `mnist-<split>-images.idx3-ubyte` and `mnist-<split>-labels.idx1-ubyte` from the bundle.
    private static func bundledDataset(split: String, name: String) throws -> Dataset {
        let imagesURL = try bundledFile("mnist-\(split)-images", extension: "idx3-ubyte")
        let labelsURL = try bundledFile("mnist-\(split)-labels", extension: "idx1-ubyte")
        let dataset = try idxDataset(
            images: imagesURL, labels: labelsURL, name: name, divisor: 255, classCount: classCount)
        guard dataset.sampleShape.count == 2, dataset.sampleElementCount == 784 else {
            throw ModelIOError.incompatible(
                path: imagesURL.path,
                detail: "holds images of shape \(EvaluationError.format(dataset.sampleShape)), expected [28, 28]")
        }
        return try dataset.reshaped(toModelInput: [nil] + sampleShape)
    }

    /// The URL of a file in the resource bundle's `Demo` folder.
    private static func bundledFile(_ resource: String, extension fileExtension: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: resource, withExtension: fileExtension, subdirectory: "Demo")
        else {
            throw ModelIOError.unreadable(
                path: "Demo/\(resource).\(fileExtension)", reason: "not found in the QuantCore resource bundle")
        }
        return url
    }
}

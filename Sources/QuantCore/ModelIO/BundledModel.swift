import Foundation

/// The demo models shipped inside the package, trained by `quantdash train --demo`.
public enum BundledModel: String, CaseIterable, Sendable {
    /// MLP 784-256-128-10 with ReLU.
    case mlp
    /// Two conv/ReLU/max-pool stages, then 784-64-10 dense layers.
    case cnn

    /// The name users type: `demo-mlp`, `demo-cnn`.
    public var commandLineName: String { "demo-\(rawValue)" }

    /// The resource file name.
    public var fileName: String { "demo-\(rawValue).onnx" }

    /// Looks up a bundled model by its command-line name (`demo-mlp`, `demo-cnn`).
    public init?(commandLineName: String) {
        guard let model = BundledModel.allCases.first(where: { $0.commandLineName == commandLineName }) else {
            return nil
        }
        self = model
    }

    /// The location of the model file inside the package's resources.
    public var url: URL {
        get throws {
            guard
                let url = Bundle.module.url(
                    forResource: "demo-\(rawValue)", withExtension: "onnx", subdirectory: "Demo")
            else {
                throw ModelIOError.unreadable(
                    path: fileName, reason: "the bundled demo model is missing from the package resources")
            }
            return url
        }
    }
}

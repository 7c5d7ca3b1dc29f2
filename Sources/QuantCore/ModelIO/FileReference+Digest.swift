import Foundation

extension FileReference {
    /// A reference to the model or data file at `url`, recorded as `path` (what the user typed),
    /// with the SHA-256 of its bytes — of the images then the labels when `labels` is given. For
    /// an `.onnx` model with external data, the bytes of its side files follow the model's (in
    /// order of first use), so changed weights in them change the digest.
    ///
    /// - Throws: `ModelIOError.unreadable` naming a file that cannot be read.
    public static func digesting(
        _ url: URL, path: String? = nil, labels: URL? = nil, labelsPath: String? = nil, progress: LoadProgress? = nil
    )
        throws -> FileReference
    {
        let external = url.pathExtension.lowercased() == "onnx" ? ONNXModel.externalDataFiles(forModelAt: url) : []
        let sha256 = try FileDigest.sha256(
            ofConcatenated: [url] + external + (labels.map { [$0] } ?? []), progress: progress)
        return FileReference(
            path: path ?? url.relativePath, labelsPath: labels.map { labelsPath ?? $0.relativePath }, sha256: sha256)
    }

    /// The bundled demo model, recorded as `demo-mlp` / `demo-cnn` with the resource's SHA-256.
    ///
    /// - Throws: `ModelIOError.unreadable` when the resource is missing.
    public static func bundled(_ model: BundledModel) throws -> FileReference {
        try digesting(model.url, path: model.commandLineName)
    }

    /// The bundled held-out digits, recorded as `demo` with the SHA-256 of the images then labels files.
    ///
    /// - Throws: `ModelIOError.unreadable` when a resource is missing.
    public static func demoHeldOut() throws -> FileReference {
        let files = try DemoData.heldOutFiles()
        let sha256 = try FileDigest.sha256(ofConcatenated: [files.images, files.labels])
        return FileReference(path: "demo", sha256: sha256)
    }
}

import Foundation
import QuantCore

/// Where the dashboard's fine-tuning writes its model, and the preset that opens it.
extension SessionPersistence {
    /// `<sessions>/<model>-finetuned-N.onnx` and preset `<model>-finetuned-N`, N the first number
    /// for which neither exists (nothing is ever overwritten).
    public func finetuneDestination() throws -> (model: URL, preset: String) {
        let stem = URL(fileURLWithPath: model.path).deletingPathExtension().lastPathComponent
        let base = SessionStore.nameProblem("\(stem)-finetuned-1") == nil ? stem : "model"
        try FileManager.default.createDirectory(at: store.folder, withIntermediateDirectories: true)
        for number in 1...10_000 {
            let name = "\(base)-finetuned-\(number)"
            let url = store.folder.appendingPathComponent("\(name).onnx")
            let presetURL = try store.fileURL(forName: name)
            let fileManager = FileManager.default
            if !fileManager.fileExists(atPath: url.path) && !fileManager.fileExists(atPath: presetURL.path) {
                return (url, name)
            }
        }
        throw SessionError.writeFailed(file: store.folder.relativePath, reason: "no free name for a fine-tuned model")
    }

    /// Saves preset `name`: the fine-tuned model (its path and SHA-256), this data, the plan it was
    /// trained through and a note with the figures; returns the preset's name.
    public func saveFinetuned(_ summary: FinetuneRunner.Summary, preset name: String) throws -> String {
        let date = Timestamp.now()
        let path = store.folder.appendingPathComponent(summary.model.lastPathComponent).relativePath
        let notes = String(
            format: "fine-tuned from %@ in the dashboard (epoch %d of %d kept): held-out top-1 %.2f %% → %.2f %%",
            model.path, summary.keptEpoch, summary.epochs, summary.top1Before * 100, summary.top1After * 100)
        let preset = SessionPreset(
            name: name, model: FileReference(path: path, labelsPath: nil, sha256: summary.digest), data: data,
            plan: summary.plan, notes: notes, createdAt: date, updatedAt: date, basedOn: nil)
        _ = try store.save(preset, overwrite: false)
        return name
    }
}

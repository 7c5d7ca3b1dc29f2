import Foundation
import QuantCore

/// Saves, loads and exports through a `SessionStore` (`Sessions/`) and the config exporter.
///
/// Presets record the model and data with their SHA-256, the plan, and the last exact results;
/// the autosave is the same record in `Sessions/.autosave.json`, written after every change.
public final class SessionPersistence: DashboardPersistence {
    /// Where presets live.
    public let store: SessionStore
    /// The model, with its digest.
    public let model: FileReference
    /// The held-out data, with its digest.
    public let data: FileReference
    /// The engine (exports evaluate the plan they write).
    public let workbench: Workbench
    private let now: () -> Date

    /// Creates persistence for one model and data set.
    ///
    /// - Parameter now: the clock (injected in tests).
    public init(
        store: SessionStore, model: FileReference, data: FileReference, workbench: Workbench,
        now: @escaping () -> Date = Timestamp.now
    ) {
        self.store = store
        self.model = model
        self.data = data
        self.workbench = workbench
        self.now = now
    }

    public func save(name: String, overwrite: Bool, state: AppState) throws -> String {
        let existing = try? store.load(named: name)
        if existing != nil && !overwrite { throw DashboardPersistenceError.exists(name) }
        var preset = preset(named: name, state: state, basedOn: nil)
        if let existing { preset.createdAt = existing.createdAt }
        let url = try store.save(preset, overwrite: true)
        try? store.discardAutosave()
        return "saved \(url.path)"
    }

    public func autosave(state: AppState) throws {
        var preset = preset(
            named: state.sessionName ?? "untitled", state: state, basedOn: state.sessionName, withResults: false)
        preset.notes = "autosave"
        try store.autosave(preset)
    }

    public func listPresets() throws -> [PresetListing] {
        try store.list().map { summary in
            guard summary.isReadable else {
                return PresetListing(
                    name: summary.name, label: "\(summary.name)  (unreadable: \(summary.error ?? "?"))")
            }
            let top1 = summary.top1.map { String(format: "%.2f %%", $0 * 100) } ?? "—"
            let size = summary.sizeBytes.map(Formatting.bytes) ?? "—"
            let ratio = summary.compressionRatio.map { String(format: "%.1f×", $0) } ?? ""
            let date =
                summary.updatedAt.map { Timestamp.string(from: $0).prefix(16).replacingOccurrences(of: "T", with: " ") }
                ?? ""
            return PresetListing(
                name: summary.name,
                label:
                    "\(summary.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(top1)  \(size) \(ratio)  \(date)"
            )
        }
    }

    public func load(name: String, layerNames: [String]) throws -> (plan: QuantPlan, warning: String?) {
        let preset = try store.load(named: name)
        return applicable(preset, layerNames: layerNames)
    }

    public func hasNewerAutosave() -> Bool {
        store.shouldOfferRestore()
    }

    public func restoreAutosave(layerNames: [String]) throws -> (plan: QuantPlan, basedOn: String?, warning: String?) {
        guard let preset = try store.loadAutosave() else {
            throw SessionError.notFound(file: store.autosaveURL.path, name: SessionStore.autosaveFileName)
        }
        let (plan, warning) = applicable(preset, layerNames: layerNames)
        return (plan, preset.basedOn, warning)
    }

    public func discardAutosave() {
        try? store.discardAutosave()
    }

    public func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String {
        let url = URL(fileURLWithPath: path)
        let written = format == .c ? [url.appendingPathExtension("h"), url.appendingPathExtension("c")] : [url]
        if !overwrite, let existing = written.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            throw DashboardPersistenceError.exists(existing.path)
        }
        switch format {
        case .config:
            try ConfigExporter.export(
                state.plan, using: workbench, model: model, data: data, to: url, overwrite: true, exportedAt: now())
        case .onnx:
            try QDQExporter.export(state.plan, using: workbench, model: model, data: data, to: url, overwrite: true)
        case .c:
            let export = try CExporter.generate(
                try workbench.apply(state.plan), graph: workbench.graph, name: url.lastPathComponent, path: path)
            try CExporter.write(export, into: url.deletingLastPathComponent(), overwrite: true)
            return
                "exported C to \(written.map(\.path).joined(separator: " and ")) (\(export.flashBytes) bytes of flash)"
        case .report:
            try ReportExporter.export(
                state.plan, using: workbench, model: model, data: data,
                reproduceCommand: "quantdash eval --model \(model.path) --plan PLAN.json", to: url, overwrite: true)
        }
        return "exported \(format.rawValue) to \(url.path)"
    }

    /// The preset for the current state.
    func preset(named name: String, state: AppState, basedOn: String?, withResults: Bool = true) -> SessionPreset {
        let date = now()
        var results: PlanResults?
        if !withResults {
            results = nil
        } else if let exact = state.evaluation.exact, let model = state.quantized, model.plan == state.plan {
            results = PlanResults(evaluation: exact, model: model)
        } else if let model = try? workbench.apply(state.plan), let exact = try? workbench.evaluate(model) {
            // The background evaluation has not finished: a preset records exact results anyway.
            results = PlanResults(evaluation: exact, model: model)
        }
        return SessionPreset(
            name: name, model: model, data: data, plan: state.plan, results: results, createdAt: date,
            updatedAt: date, basedOn: basedOn, view: .init(selectedLayer: state.selectedLayer?.name))
    }

    /// The preset's plan restricted to this model's layers, and warnings about what changed.
    func applicable(_ preset: SessionPreset, layerNames: [String]) -> (QuantPlan, String?) {
        let compatibility = preset.compatibility(with: model.sha256, dataSHA: data.sha256, layerNames: layerNames)
        let warning = compatibility.warnings.isEmpty ? nil : compatibility.warnings.joined(separator: "; ")
        return (preset.plan(applicableTo: layerNames), warning)
    }
}

import Foundation
import QuantCore

/// Saves, loads and exports through a `SessionStore` (`Sessions/`) and the config exporter.
///
/// Presets record the model and data with their SHA-256, the plan, and the last exact results;
/// the autosave is the same record in this dashboard's own file (`SessionStore.autosaveSlot`:
/// one per model, data and running dashboard), written after every change.
public final class SessionPersistence: DashboardPersistence {
    /// Where presets live.
    public let store: SessionStore
    /// The model, with its digest.
    public let model: FileReference
    /// The held-out data, with its digest.
    public let data: FileReference
    /// The engine (exports evaluate the plan they write).
    public let workbench: Workbench
    /// The `quantdash eval` arguments that load this model and data as the dashboard did
    /// (the report's Reproduce line).
    public let evalArguments: [String]
    /// The background sensitivity analysis, when one runs: presets save what it measured and
    /// loading one of this model's presets gives it back (`SavedSensitivity`).
    public var sensitivity: Sensitivity?
    private let now: () -> Date
    /// The left autosave offered at start, until restored or discarded.
    private var offered: LeftAutosave?
    /// A restored left autosave, deleted once this dashboard's own autosave holds its state.
    private var takenOver: URL?

    /// Creates persistence for one model and data set.
    ///
    /// - Parameter now: the clock (injected in tests).
    public init(
        store: SessionStore, model: FileReference, data: FileReference, workbench: Workbench,
        evalArguments: [String]? = nil, now: @escaping () -> Date = Timestamp.now
    ) {
        self.evalArguments =
            evalArguments ?? ["quantdash", "eval", "--model", model.path, "--data", data.path]
            + (data.labelsPath.map { ["--labels", $0] } ?? [])
        self.store = store
        self.model = model
        self.data = data
        self.workbench = workbench
        self.now = now
    }

    public var folderName: String { store.folder.relativePath }

    public func save(name: String, overwrite: SaveOverwrite, state: AppState) throws -> String {
        let existing = try? store.load(named: name)
        if let existing, overwrite != .confirmed {
            if !isThisModel(existing.model) {
                throw DashboardPersistenceError.presetOfOtherModel(name, model: existing.model.path)
            }
            if overwrite == .never { throw DashboardPersistenceError.exists(name) }
        }
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
        // A restored autosave of a dashboard that ended is now in this one's own file.
        if let taken = takenOver {
            try? store.discardAutosave(at: taken)
            takenOver = nil
        }
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
            // The model column: another model's preset is marked, loading it asks first.
            let modelPath = summary.model ?? "?"
            let shown = URL(fileURLWithPath: modelPath).lastPathComponent
            let modelColumn = (modelPath == model.path ? shown : "\(shown) (other)")
            return PresetListing(
                name: summary.name,
                label: "\(summary.name.padding(toLength: 18, withPad: " ", startingAt: 0)) "
                    + "\(modelColumn.padding(toLength: 18, withPad: " ", startingAt: 0)) \(top1)  \(size) \(ratio)  \(date)"
            )
        }
    }

    public func deletePreset(name: String) throws -> String {
        let url = try store.fileURL(forName: name)
        try store.delete(named: name)
        return "deleted preset \(name) (\(url.path))"
    }

    public func renamePreset(name: String, to newName: String) throws -> String {
        try store.rename(named: name, to: newName)
        return "renamed preset \(name) to \(newName) (\(try store.fileURL(forName: newName).path))"
    }

    public func load(name: String, layerNames: [String]) throws -> LoadedPreset {
        let preset = try store.load(named: name)
        return applicable(preset, layerNames: layerNames)
    }

    public func hasNewerAutosave() -> Bool {
        offered = store.leftAutosave()
        return offered != nil
    }

    public func restoreAutosave(layerNames: [String]) throws -> LoadedPreset {
        guard let left = offered ?? store.leftAutosave() else {
            throw SessionError.notFound(file: store.autosaveURL.relativePath, name: "autosave")
        }
        offered = nil
        takenOver = left.url
        var loaded = applicable(left.preset, layerNames: layerNames)
        loaded.name = left.preset.basedOn ?? ""
        return loaded
    }

    public func discardAutosave() {
        guard let left = offered else { return }
        try? store.discardAutosave(at: left.url)
        offered = nil
    }

    public func discardOwnAutosave() {
        try? store.discardAutosave()
    }

    public func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String {
        let request = ExportRequest(
            format: format, plan: state.plan, path: path, overwrite: overwrite, model: model, data: data,
            evalArguments: evalArguments, exportedAt: now())
        let result: ExportResult
        do {
            result = try Exporter.export(request, using: workbench)
        } catch ModelIOError.exists(let existing) {
            throw DashboardPersistenceError.exists(existing)
        }
        let files = result.files.map(\.path).joined(separator: " and ")
        if case .c(let export) = result.details {
            return "exported C to \(files) (\(export.form.rawValue), \(export.flashBytes) bytes of flash, "
                + "\(export.ramBytes) bytes of RAM)"
        }
        if case .tflite(let export) = result.details {
            return "exported tflite to \(files) (\(export.format.rawValue), \(export.byteCount) bytes)"
        }
        return "exported \(format.rawValue) to \(files)"
    }

    /// The preset for the current state.
    func preset(named name: String, state: AppState, basedOn: String?, withResults: Bool = true) -> SessionPreset {
        let date = now()
        var results: PlanResults?
        if !withResults {
            results = nil
        } else if let exact = state.evaluation.exact, let model = state.quantized, model.plan == state.plan {
            results = PlanResults(evaluation: exact, model: model)
        }
        // Otherwise no results: the dashboard saves only once the engine's exact result is in
        // (DashboardApp waits for it); the autosave, written on every change, records none.
        return SessionPreset(
            name: name, model: model, data: data, plan: state.plan, results: results, createdAt: date,
            updatedAt: date, basedOn: basedOn, view: .init(selectedLayer: state.selectedLayer?.name),
            budgets: state.budgets.isEmpty ? nil : state.budgets,
            sensitivity: withResults ? savedSensitivity(plan: state.plan) : nil)
    }

    /// What the analysis has measured, relative to `plan` (nothing when it has measured nothing).
    private func savedSensitivity(plan: QuantPlan) -> SavedSensitivity? {
        guard let saved = sensitivity?.saved(relativeTo: plan), !saved.records.isEmpty else { return nil }
        return saved
    }

    /// Whether a preset recording `reference` was made for this dashboard's model: the same
    /// digest, or the same path (then a changed digest is a warning, not another model).
    func isThisModel(_ reference: FileReference) -> Bool {
        reference.sha256 == model.sha256 || reference.path == model.path
    }

    /// The preset's plan restricted to this model's layers, and what differs.
    func applicable(_ preset: SessionPreset, layerNames: [String]) -> LoadedPreset {
        let plan = preset.plan(applicableTo: layerNames)
        let matched = layerNames.filter { preset.plan.layers[$0] != nil }
        guard isThisModel(preset.model) else {
            return LoadedPreset(
                name: preset.name, plan: plan, otherModel: preset.model.path, matchedLayers: matched)
        }
        // Its sensitivity results are exact for this model file and data only (checked by digest).
        if let saved = preset.sensitivity { sensitivity?.restore(saved, plan: preset.plan) }
        let compatibility = preset.compatibility(with: model.sha256, dataSHA: data.sha256, layerNames: layerNames)
        let warning = compatibility.warnings.isEmpty ? nil : compatibility.warnings.joined(separator: "; ")
        var selected = preset.view?.selectedLayer
        if let name = selected, !layerNames.contains(name) { selected = nil }
        return LoadedPreset(
            name: preset.name, plan: plan, warning: warning, selectedLayer: selected, matchedLayers: matched,
            budgets: preset.budgets)
    }
}

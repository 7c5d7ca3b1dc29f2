import Foundation
import QuantCore

/// Where the dashboard saves, loads and exports: session presets in `Sessions/`, the autosave,
/// and export files. The loop calls it to perform effects; tests use an in-memory double.
public protocol DashboardPersistence: AnyObject {
    /// The sessions folder as shown to the user (`Sessions`, or `--sessions-folder`).
    var folderName: String { get }
    /// Saves the session preset `name` for the current state; returns a message for the status bar.
    ///
    /// - Throws: `DashboardPersistenceError.exists` / `.presetOfOtherModel` when `name` exists
    ///   and `overwrite` does not allow replacing it.
    func save(name: String, overwrite: SaveOverwrite, state: AppState) throws -> String
    /// Writes this dashboard's own autosave for the current state.
    func autosave(state: AppState) throws
    /// The saved presets, newest first.
    func listPresets() throws -> [PresetListing]
    /// Loads preset `name`, with what it fits of this model.
    func load(name: String, layerNames: [String]) throws -> LoadedPreset
    /// Whether an autosave of this model and data, left by a dashboard no longer running and
    /// newer than the preset it was based on, exists.
    func hasNewerAutosave() -> Bool
    /// The left autosave's state (its `name` is the preset it was based on, or empty).
    func restoreAutosave(layerNames: [String]) throws -> LoadedPreset
    /// Deletes preset `name`; returns a message for the status bar.
    func deletePreset(name: String) throws -> String
    /// Renames preset `name` to `newName` (never replacing one); returns a message.
    func renamePreset(name: String, to newName: String) throws -> String
    /// Deletes the left autosave offered at start (answered "discard").
    func discardAutosave()
    /// Deletes this dashboard's own autosave (quit without saving, or nothing left unsaved).
    func discardOwnAutosave()
    /// Exports the current plan; returns a message naming the file written.
    ///
    /// - Throws: `DashboardPersistenceError.exists` when the file exists and `overwrite` is false.
    func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String
    /// Where a fine-tuned model is written and the name of the preset that will open it (both new).
    func finetuneDestination() throws -> (model: URL, preset: String)
    /// Saves preset `preset` for a fine-tuned model; returns its name.
    func saveFinetuned(_ summary: FinetuneRunner.Summary, preset: String) throws -> String
}

/// When saving may replace an existing preset.
public enum SaveOverwrite: Sendable, Equatable {
    /// Never: an existing preset is a question.
    case never
    /// The name is this session's own preset: replace it when it holds the same model.
    case ownPreset
    /// The user confirmed replacing it.
    case confirmed
}

/// A preset as read for this dashboard: its plan restricted to the model's layers and what fits.
public struct LoadedPreset: Sendable, Equatable {
    /// The preset's name (for a restored autosave: the preset it was based on, or empty).
    public var name: String
    /// The plan, restricted to this model's layers.
    public var plan: QuantPlan
    /// What changed since it was saved (model file, data, missing layers), if anything.
    public var warning: String?
    /// The layer selected when it was saved.
    public var selectedLayer: String?
    /// The model it was made for, when that is another model (path and digest differ).
    public var otherModel: String?
    /// The layers of this model its plan has entries for.
    public var matchedLayers: [String]
    /// The budgets saved with it (this model's presets only).
    public var budgets: Budgets?

    /// Creates a loaded preset.
    public init(
        name: String, plan: QuantPlan, warning: String? = nil, selectedLayer: String? = nil,
        otherModel: String? = nil, matchedLayers: [String] = [], budgets: Budgets? = nil
    ) {
        self.budgets = budgets
        self.name = name
        self.plan = plan
        self.warning = warning
        self.selectedLayer = selectedLayer
        self.otherModel = otherModel
        self.matchedLayers = matchedLayers
    }
}

/// Errors the loop turns into questions rather than messages.
public enum DashboardPersistenceError: Error, Equatable {
    /// The preset or file already exists.
    case exists(String)
    /// The preset exists and holds another model (`model`): replacing it needs a confirmation.
    case presetOfOtherModel(String, model: String)
}

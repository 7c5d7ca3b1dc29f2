import QuantCore

/// Where the dashboard saves, loads and exports: session presets in `Sessions/`, the autosave,
/// and export files. The loop calls it to perform effects; tests use an in-memory double.
public protocol DashboardPersistence: AnyObject {
    /// Saves the session preset `name` for the current state; returns a message for the status bar.
    ///
    /// - Throws: `DashboardPersistenceError.exists` when `name` exists and `overwrite` is false.
    func save(name: String, overwrite: Bool, state: AppState) throws -> String
    /// Writes the autosave for the current state.
    func autosave(state: AppState) throws
    /// The saved presets, newest first.
    func listPresets() throws -> [PresetListing]
    /// Loads preset `name`: its plan restricted to this model's layers, and a warning when the
    /// model or data changed or layers were dropped.
    func load(name: String, layerNames: [String]) throws -> (plan: QuantPlan, warning: String?)
    /// Whether an autosave newer than the last save exists.
    func hasNewerAutosave() -> Bool
    /// The autosaved plan and the preset it was based on.
    func restoreAutosave(layerNames: [String]) throws -> (plan: QuantPlan, basedOn: String?, warning: String?)
    /// Deletes the autosave.
    func discardAutosave()
    /// Exports the current plan; returns a message naming the file written.
    ///
    /// - Throws: `DashboardPersistenceError.exists` when the file exists and `overwrite` is false.
    func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String
}

/// Errors the loop turns into questions rather than messages.
public enum DashboardPersistenceError: Error, Equatable {
    /// The preset or file already exists.
    case exists(String)
}

import Foundation
import QuantCore

@testable import QuantTUI

/// A persistence double that forwards to a real `SessionPersistence`; tests subclass it and
/// override the one effect they change.
class ForwardingPersistence: DashboardPersistence {
    let real: SessionPersistence
    init(_ real: SessionPersistence) { self.real = real }
    var folderName: String { real.folderName }
    func save(name: String, overwrite: SaveOverwrite, state: AppState) throws -> String {
        try real.save(name: name, overwrite: overwrite, state: state)
    }
    func autosave(state: AppState) throws { try real.autosave(state: state) }
    func listPresets() throws -> [PresetListing] { try real.listPresets() }
    func load(name: String, layerNames: [String]) throws -> LoadedPreset {
        try real.load(name: name, layerNames: layerNames)
    }
    func hasNewerAutosave() -> Bool { real.hasNewerAutosave() }
    func restoreAutosave(layerNames: [String]) throws -> LoadedPreset {
        try real.restoreAutosave(layerNames: layerNames)
    }
    func deletePreset(name: String) throws -> String { try real.deletePreset(name: name) }
    func renamePreset(name: String, to newName: String) throws -> String {
        try real.renamePreset(name: name, to: newName)
    }
    func discardAutosave() { real.discardAutosave() }
    func discardOwnAutosave() { real.discardOwnAutosave() }
    func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String {
        try real.export(format, path: path, overwrite: overwrite, state: state)
    }
    func finetuneDestination() throws -> (model: URL, preset: String) { try real.finetuneDestination() }
    func saveFinetuned(_ summary: FinetuneRunner.Summary, preset: String) throws -> String {
        try real.saveFinetuned(summary, preset: preset)
    }
}

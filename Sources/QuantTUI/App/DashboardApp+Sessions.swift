import Foundation
import QuantCore

/// The dashboard's session effects: saving, the autosave, loading, renaming and deleting presets.
extension DashboardApp {
    /// Performs a session effect (kept apart from the evaluation wiring in `DashboardApp`);
    /// `late`: a save that waited for its exact result, so a question becomes a message.
    func performSessionEffect(_ effect: Effect, late: Bool = false) {
        guard let persistence else {
            if case .save = effect { dispatch(.failed("saving is not available")) }
            if case .listPresets = effect { dispatch(.failed("presets are not available")) }
            return
        }
        let layerNames = state.layers.map(\.name)
        do {
            switch effect {
            case .save(let name, let overwrite):
                do {
                    let message = try persistence.save(name: name, overwrite: overwrite, state: state)
                    dispatch(.saved(name: name, message: message))
                } catch DashboardPersistenceError.exists {
                    ask(.overwritePreset(name), late: late)
                } catch DashboardPersistenceError.presetOfOtherModel(_, let model) {
                    ask(.overwritePresetOfOtherModel(name, model: model), late: late)
                }
            case .autosave:
                do {
                    try persistence.autosave(state: state)
                    if state.autosaveFailure != nil { dispatch(.autosaveFinished(failure: nil)) }
                } catch SessionError.writeFailed(_, let reason) {
                    // The file name is long and says little; the folder and the reason fit the bar.
                    dispatch(.autosaveFinished(failure: "\(persistence.folderName)/: \(reason)"))
                } catch {
                    dispatch(.autosaveFinished(failure: DashboardApp.describe(error)))
                }
            case .listPresets:
                dispatch(.presetsListed(try persistence.listPresets()))
            case .load(let name):
                dispatch(.presetLoaded(try persistence.load(name: name, layerNames: layerNames)))
            case .restoreAutosave:
                dispatch(.autosaveRestored(try persistence.restoreAutosave(layerNames: layerNames)))
            case .discardAutosave:
                persistence.discardAutosave()
            case .discardOwnAutosave:
                persistence.discardOwnAutosave()
            case .deletePreset(let name):
                dispatch(.presetChanged(name: name, renamed: nil, message: try persistence.deletePreset(name: name)))
            case .renamePreset(let name, let newName):
                let message = try persistence.renamePreset(name: name, to: newName)
                dispatch(.presetChanged(name: name, renamed: newName, message: message))
            default:
                break
            }
        } catch {
            dispatch(.failed(DashboardApp.describe(error)))
        }
    }
}

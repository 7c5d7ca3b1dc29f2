import QuantCore

extension Reducer {
    /// Folds engine results into the state; results for stale plan generations are dropped.
    static func receive(_ state: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .planApplied(let model):
            guard model.plan == state.plan else { return [] }  // a newer plan is already underway
            state.quantized = model
            state.planFailure = nil
        case .planFailed(let message):
            state.message = StatusMessage(message, isError: true)
            state.planFailure = PlanFailure(plan: state.plan, message: message)
            state.evaluation.progress = nil
        case .floatEvaluated(let report):
            state.floatAccuracy = report
            state.evaluation.baselineProgress = nil
        case .evaluationProgress(let generation, let progress):
            if generation == -1 {
                state.evaluation.baselineProgress = progress
                return []
            }
            guard generation == state.evaluation.generation else { return [] }
            state.evaluation.progress = progress.fraction
            state.evaluation.progressDetail = progress
        case .evaluationFinished(let generation, let report):
            guard generation == state.evaluation.generation else { return [] }
            if report.isExact {
                state.evaluation.exact = report
                state.evaluation.lastExact = report
                state.evaluation.progress = nil
                state.evaluation.progressDetail = nil
                state.accuracyHistory.append(report.top1)
                recordPoint(&state, report)
            } else {
                state.evaluation.estimate = report
            }
        case .evaluationFailed(let generation, let message):
            guard generation == state.evaluation.generation else { return [] }
            state.evaluation.error = message
            state.evaluation.progress = nil
            state.evaluation.progressDetail = nil
        case .presetsListed(let listings):
            guard !listings.isEmpty else {
                state.message = StatusMessage("no presets saved yet in Sessions/ (w saves one)")
                return []
            }
            state.overlay = .choice(Choice(.loadPreset, values: listings.map(\.name), labels: listings.map(\.label)))
        case .presetChanged(let name, let renamed, let message):
            state.message = StatusMessage(message)
            if state.sessionName == name {
                // This session's preset: follow a rename; after a delete nothing saved holds it.
                state.sessionName = renamed
                if renamed == nil { state.hasUnsavedChanges = true }
            }
            return [.listPresets]
        case .presetLoaded(let loaded):
            if let model = loaded.otherModel {
                state.overlay = .confirm(.applyPresetOfOtherModel(loaded, model: model))
                return []
            }
            let effects = take(&state, loaded)
            state.sessionName = loaded.name
            state.hasUnsavedChanges = false
            state.message = StatusMessage(
                loaded.warning ?? "loaded preset \(loaded.name)", isError: loaded.warning != nil)
            return effects.filter { $0 != .autosave }
        case .autosaveRestored(let loaded):
            let effects = take(&state, loaded)
            state.sessionName = loaded.name.isEmpty ? nil : loaded.name
            state.message = StatusMessage(
                loaded.warning ?? "restored the autosave (not saved yet)", isError: loaded.warning != nil)
            return effects
        case .autosaveFinished(let failure):
            guard failure != state.autosaveFailure else { return [] }
            state.autosaveFailure = failure
            if let failure {
                state.message = StatusMessage("autosave failed: \(failure)", isError: true)
            }
        case .saved(let name, let message):
            if let name {
                state.sessionName = name
                state.hasUnsavedChanges = false
            }
            state.message = StatusMessage(message)
            if state.quitAfterSave {
                state.shouldQuit = true
                return [.quit]
            }
        case .failed(let message):
            state.message = StatusMessage(message, isError: true)
            state.quitAfterSave = false
        case .askToConfirm(let question):
            state.overlay = .confirm(question)
        case .questionTooLate(let question):
            // Whatever is open stays open; nothing was written, and a save meant to quit does not.
            state.quitAfterSave = false
            state.message = StatusMessage(notDone(question), isError: true)
        default:
            break
        }
        return []
    }

    /// What the status bar says instead of a question that came too late to ask.
    static func notDone(_ question: Confirmation) -> String {
        switch question {
        case .overwritePreset(let name):
            "not saved: preset \(name) exists; save again (w) to replace it"
        case .overwritePresetOfOtherModel(let name, let model):
            "not saved: preset \(name) holds another model (\(model)); save again (w) to replace it"
        case .overwriteExport(_, let path):
            "not exported: \(path) exists; export again (e) to replace it"
        case .quitWithUnsavedChanges, .quitWhileFinetuning, .restoreAutosave, .applyPresetOfOtherModel, .deletePreset,
            .renamePreset:
            "not done: a question came after its moment; do it again"
        }
    }

    /// Opens a preset of this model before the dashboard starts (`--session`): its plan, name,
    /// selected layer and any warning.
    public static func open(_ state: inout AppState, _ loaded: LoadedPreset) {
        state.plan = loaded.plan
        state.sessionName = loaded.name
        state.hasUnsavedChanges = false
        if let budgets = loaded.budgets { state.budgets = budgets }
        if let name = loaded.selectedLayer, let index = state.layers.firstIndex(where: { $0.name == name }) {
            select(&state, index)
        }
        state.message =
            loaded.warning.map { StatusMessage($0, isError: true) } ?? StatusMessage("opened preset \(loaded.name)")
    }

    /// Makes a read preset's plan current (undoable) and selects its saved layer.
    static func take(_ state: inout AppState, _ loaded: LoadedPreset) -> [Effect] {
        state.undoStack.append(state.plan)
        state.redoStack.removeAll()
        let effects = replacePlan(&state, with: loaded.plan)
        if let budgets = loaded.budgets { state.budgets = budgets }
        if let name = loaded.selectedLayer, let index = state.layers.firstIndex(where: { $0.name == name }) {
            select(&state, index)
        }
        return effects
    }

    /// Applies another model's preset to this model's matching layers (confirmed by the user):
    /// the session keeps its own name and the change is unsaved.
    static func applyPresetOfOtherModel(_ state: inout AppState, _ loaded: LoadedPreset, model: String) -> [Effect] {
        guard !loaded.matchedLayers.isEmpty || loaded.plan.layers.isEmpty else {
            state.message = StatusMessage(
                "no layer of \(state.modelName) matches preset \(loaded.name) (made for \(model)): nothing applied",
                isError: true)
            return []
        }
        let effects = take(&state, loaded)
        let matched =
            loaded.matchedLayers.isEmpty
            ? "its default settings to every layer"
            : "\(loaded.matchedLayers.count) matching layer\(loaded.matchedLayers.count == 1 ? "" : "s"): "
                + brief(loaded.matchedLayers)
        state.message = StatusMessage("applied \(loaded.name) (made for \(model)) to \(matched); not saved")
        return effects
    }

    /// `a, b, c` — or the first six and how many more.
    static func brief(_ names: [String], limit: Int = 6) -> String {
        guard names.count > limit else { return names.joined(separator: ", ") }
        return names.prefix(limit).joined(separator: ", ") + " and \(names.count - limit) more"
    }
}

import QuantCore

extension Reducer {
    /// Folds engine results into the state; results for stale plan generations are dropped.
    static func receive(_ state: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .planApplied(let model):
            guard model.plan == state.plan else { return [] }  // a newer plan is already underway
            state.quantized = model
        case .planFailed(let message):
            state.message = StatusMessage(message, isError: true)
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
        case .presetLoaded(let name, let plan, let warning):
            state.undoStack.append(state.plan)
            state.redoStack.removeAll()
            let effects = replacePlan(&state, with: plan)
            state.sessionName = name
            state.hasUnsavedChanges = false
            state.message = StatusMessage(warning ?? "loaded preset \(name)", isError: warning != nil)
            return effects.filter { $0 != .autosave }
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
        default:
            break
        }
        return []
    }
}

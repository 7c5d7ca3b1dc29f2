import Foundation
import QuantCore

extension Reducer {
    /// Keys while an overlay is open: typing into prompts, moving in lists, answering questions.
    static func handleOverlayKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        guard let overlay = state.overlay else { return [] }
        switch overlay {
        case .help(let offset):
            switch key {
            case .escape, .character("?"), .character("q"), .enter, .function(1): state.overlay = nil
            case .down, .character("j"): state.overlay = .help(offset: offset + 1)
            case .up, .character("k"): state.overlay = .help(offset: max(offset - 1, 0))
            default: break
            }
        case .prompt(var prompt):
            switch key {
            case .escape:
                state.overlay = nil
                state.quitAfterSave = false
            case .enter:
                state.overlay = nil
                return commit(&state, prompt)
            default:
                if prompt.edit(with: key) { state.overlay = .prompt(prompt) }
            }
        case .choice(var choice):
            switch key {
            case .escape, .character("q"):
                state.overlay = nil
            case .up, .character("k"):
                choice.selected = max(choice.selected - 1, 0)
                state.overlay = .choice(choice)
            case .down, .character("j"):
                choice.selected = min(choice.selected + 1, max(choice.values.count - 1, 0))
                state.overlay = .choice(choice)
            case .enter:
                state.overlay = nil
                guard choice.values.indices.contains(choice.selected) else { return [] }
                return pick(&state, choice.purpose, value: choice.values[choice.selected])
            default:
                break
            }
        case .confirm(let question):
            return answer(&state, question, key: key)
        case .messages:
            if [.escape, .character("m"), .character("q"), .enter].contains(key) { state.overlay = nil }
        }
        return []
    }

    /// Acts on the text of a prompt confirmed with Enter; invalid text keeps the prompt open
    /// with the error shown under it.
    static func commit(_ state: inout AppState, _ prompt: Prompt) -> [Effect] {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        func refuse(_ problem: String) -> [Effect] {
            var open = prompt
            open.error = problem
            state.overlay = .prompt(open)
            return []
        }
        switch prompt.purpose {
        case .saveName:
            guard !text.isEmpty else { return refuse("a preset needs a name") }
            if let problem = SessionStore.nameProblem(text) { return refuse("the name \(problem)") }
            return [.save(name: text, overwrite: text == state.sessionName ? .ownPreset : .never)]
        case .pruningThreshold:
            guard let value = Float(text), value >= 0, value.isFinite else {
                return refuse("'\(text)' is not a threshold (a number ≥ 0, e.g. 0.02)")
            }
            return edit(&state, .setPruningThreshold(value))
        case .targetSparsity:
            let digits = text.hasSuffix("%") ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text
            guard let percent = Double(digits), percent >= 0, percent <= 99 else {
                return refuse("'\(text)' is not a sparsity (0 to 99 %)")
            }
            return edit(&state, .setTargetSparsity(percent / 100))
        case .exportPath(let format):
            guard !text.isEmpty else { return refuse("an export needs a file path") }
            return [.export(format, path: text, overwrite: false)]
        }
    }

    /// Acts on the option picked in a list.
    static func pick(_ state: inout AppState, _ purpose: Choice.Purpose, value: String) -> [Effect] {
        switch purpose {
        case .loadPreset:
            return [.load(name: value)]
        case .exportFormat:
            guard let format = ExportFormat(rawValue: value) else { return [] }
            let base =
                state.sessionName ?? URL(fileURLWithPath: state.modelName).deletingPathExtension().lastPathComponent
            state.overlay = .prompt(
                Prompt(.exportPath(format), text: format.defaultFileName(base: base), folder: state.workingFolder))
            return []
        }
    }

    /// Acts on y / n / Esc.
    static func answer(_ state: inout AppState, _ question: Confirmation, key: Key) -> [Effect] {
        let isYes = key == .character("y") || key == .character("Y")
        let isNo = key == .character("n") || key == .character("N")
        guard isYes || isNo || key == .escape else { return [] }
        state.overlay = nil
        switch question {
        case .quitWithUnsavedChanges:
            if isNo {
                // An explicit discard: the autosave goes too, so the next start offers nothing.
                state.shouldQuit = true
                return [.discardOwnAutosave, .quit]
            }
            guard isYes else { return [] }
            state.quitAfterSave = true
            if let name = state.sessionName { return [.save(name: name, overwrite: .ownPreset)] }
            state.overlay = .prompt(Prompt(.saveName, folder: state.sessionsFolder))
            return []
        case .restoreAutosave:
            if isYes { return [.restoreAutosave] }
            return isNo ? [.discardAutosave] : []
        case .overwritePreset(let name), .overwritePresetOfOtherModel(let name, _):
            if isYes { return [.save(name: name, overwrite: .confirmed)] }
            state.quitAfterSave = false
            state.message = StatusMessage("not saved: preset \(name) kept as it was")
            return []
        case .applyPresetOfOtherModel(let loaded, let model):
            guard isYes else {
                state.message = StatusMessage("preset \(loaded.name) not applied")
                return []
            }
            return applyPresetOfOtherModel(&state, loaded, model: model)
        case .overwriteExport(let format, let path):
            return isYes ? [.export(format, path: path, overwrite: true)] : []
        }
    }
}

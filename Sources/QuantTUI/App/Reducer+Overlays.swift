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
            case .backspace, .delete:
                if !prompt.text.isEmpty { prompt.text.removeLast() }
                state.overlay = .prompt(prompt)
            case .character(let character):
                if prompt.text.count < 200 { prompt.text.append(character) }
                state.overlay = .prompt(prompt)
            default:
                break
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
        }
        return []
    }

    /// Acts on the text of a prompt confirmed with Enter.
    static func commit(_ state: inout AppState, _ prompt: Prompt) -> [Effect] {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        switch prompt.purpose {
        case .saveName:
            guard !text.isEmpty else {
                state.message = StatusMessage("a preset needs a name", isError: true)
                return []
            }
            return [.save(name: text, overwrite: text == state.sessionName)]
        case .pruningThreshold:
            guard let value = Float(text), value >= 0, value.isFinite else {
                state.message = StatusMessage("'\(text)' is not a threshold (a number ≥ 0, e.g. 0.02)", isError: true)
                return []
            }
            return edit(&state, .setPruningThreshold(value))
        case .targetSparsity:
            let digits = text.hasSuffix("%") ? String(text.dropLast()).trimmingCharacters(in: .whitespaces) : text
            guard let percent = Double(digits), percent >= 0, percent < 100 else {
                state.message = StatusMessage("'\(text)' is not a sparsity (0 to 99 %)", isError: true)
                return []
            }
            return edit(&state, .setTargetSparsity(percent / 100))
        case .exportPath(let format):
            guard !text.isEmpty else {
                state.message = StatusMessage("an export needs a file path", isError: true)
                return []
            }
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
            state.overlay = .prompt(Prompt(.exportPath(format), text: format.defaultFileName))
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
                state.shouldQuit = true
                return [.quit]
            }
            guard isYes else { return [] }
            state.quitAfterSave = true
            if let name = state.sessionName { return [.save(name: name, overwrite: true)] }
            state.overlay = .prompt(Prompt(.saveName))
            return []
        case .restoreAutosave:
            if isYes { return [.restoreAutosave] }
            return isNo ? [.discardAutosave] : []
        case .overwritePreset(let name):
            if isYes { return [.save(name: name, overwrite: true)] }
            state.quitAfterSave = false
            return []
        case .overwriteExport(let format, let path):
            return isYes ? [.export(format, path: path, overwrite: true)] : []
        }
    }
}

import Foundation
import QuantCore

extension Reducer {
    /// Keys while an overlay is open: typing into prompts, moving in lists, answering questions.
    static func handleOverlayKey(_ state: inout AppState, _ key: Key) -> [Effect] {
        guard let overlay = state.overlay else { return [] }
        switch overlay {
        case .help(let offset):
            // Scrolling stops at the end of the content at this screen size (no dead presses back).
            let screen = Rect(size: state.screenSize)
            let maximum = OverlayView.help(isUnicode: true, glyphs: .unicode).maximumScrollOffset(in: screen)
            let page = max(min(state.screenSize.height - 4, 40), 1)
            let scrolled: Int? =
                switch key {
                case .down, .character("j"): offset + 1
                case .up, .character("k"): offset - 1
                case .pageDown, .character(" "): offset + page
                case .pageUp: offset - page
                case .home: 0
                case .end: maximum
                default: nil
                }
            if let scrolled {
                state.overlay = .help(offset: min(max(scrolled, 0), maximum))
            } else if [.escape, .character("?"), .character("q"), .enter, .function(1)].contains(key) {
                state.overlay = nil
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
                if prompt.edit(with: key) {
                    prompt.preview = preview(state, prompt)
                    state.overlay = .prompt(prompt)
                }
            }
        case .choice(let choice):
            return handleChoiceKey(&state, choice, key)
        case .confirm(let question):
            return answer(&state, question, key: key)
        case .search:
            return handleSearchKey(&state, key)
        case .pareto(let selected):
            return handleParetoKey(&state, selected: selected, key)
        case .messages:
            if [.escape, .character("m"), .character("q"), .enter].contains(key) { state.overlay = nil }
        case .settings(var form):
            switch key {
            case .escape, .character("q"):
                state.overlay = nil
            case .up, .character("k"), .backTab: form.moveField(by: -1)
            case .down, .character("j"), .tab: form.moveField(by: 1)
            case .left, .character("h"): form.stepValue(by: -1)
            case .right, .character("l"), .character(" "): form.stepValue(by: 1)
            case .enter:
                state.overlay = nil
                guard !form.changedFields.isEmpty else {
                    state.message = StatusMessage("layer settings: nothing changed")
                    return []
                }
                let effects = edit(&state, .applySettingFields(form.changedFields, from: form.draft))
                if state.message == nil, !effects.isEmpty {
                    let changes = form.changedFields.compactMap { name in
                        LayerSettingField.named(name).map { "\(name) \($0.value(form.draft))" }
                    }
                    state.message = StatusMessage("\(brief(form.targets)): " + changes.joined(separator: ", "))
                }
                return effects
            default: break
            }
            if case .settings = state.overlay { state.overlay = .settings(form) }
        }
        return []
    }

    /// What the prompt's text would do, for prompts that can tell: the share of the selected
    /// layer's weights a typed threshold prunes.
    static func preview(_ state: AppState, _ prompt: Prompt) -> String? {
        guard prompt.purpose == .pruningThreshold, let layer = state.selectedLayer,
            let magnitudes = state.weightMagnitudes[layer.name]
        else { return nil }
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        guard let threshold = Float(text), threshold.isFinite, threshold >= 0 else {
            return "'\(text)' is not a number yet"
        }
        let fraction = magnitudes.fractionPruned(atThreshold: threshold) * 100
        let approximately = magnitudes.isExact ? "" : "≈ "
        return "|w| ≤ \(text) prunes \(approximately)\(String(format: "%.1f", fraction)) % of \(layer.name)"
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
        case .renamePreset(let name):
            guard !text.isEmpty else { return refuse("a preset needs a name") }
            if let problem = SessionStore.nameProblem(text) { return refuse("the name \(problem)") }
            guard text != name else { return refuse("that is its name already") }
            state.overlay = .confirm(.renamePreset(name, to: text))
            return []
        case .budgets:
            do {
                state.budgets = try Budgets(parsing: text)
            } catch {
                return refuse("\(error)")
            }
            state.hasUnsavedChanges = true
            state.message = StatusMessage(
                state.budgets.isEmpty
                    ? "budgets cleared"
                    : "budgets: "
                        + [state.budgets.accuracyLabel, state.budgets.sizeLabel].compactMap { $0 }.joined(
                            separator: ", "))
            return [.autosave]
        }
    }

    /// Keys in a list: move, pick; in the preset list also `/` filter, `d` delete, `r` rename.
    static func handleChoiceKey(_ state: inout AppState, _ choice: Choice, _ key: Key) -> [Effect] {
        var choice = choice
        defer { if case .choice = state.overlay { state.overlay = .choice(choice) } }
        if choice.isFiltering {
            switch key {
            case .enter: choice.isFiltering = false
            case .escape:
                choice.isFiltering = false
                choice.filter = ""
            case .backspace, .delete: if !choice.filter.isEmpty { choice.filter.removeLast() }
            case .control("u"): choice.filter = ""
            case .character(let character): if choice.filter.count < 60 { choice.filter.append(character) }
            case .up: choice.move(by: -1)
            case .down: choice.move(by: 1)
            default: break
            }
            choice.move(by: 0)
            return []
        }
        let isPresetList = choice.purpose == .loadPreset
        let highlighted = choice.visible.contains(choice.selected) ? choice.values[choice.selected] : nil
        switch key {
        case .escape, .character("q"):
            state.overlay = nil
        case .up, .character("k"):
            choice.move(by: -1)
        case .down, .character("j"):
            choice.move(by: 1)
        case .character("/") where isPresetList:
            choice.isFiltering = true
        case .character("d") where isPresetList:
            guard let name = highlighted else { return [] }
            state.overlay = .confirm(.deletePreset(name))
        case .character("r") where isPresetList:
            guard let name = highlighted else { return [] }
            state.overlay = .prompt(Prompt(.renamePreset(name), text: name, folder: state.sessionsFolder))
        case .enter:
            state.overlay = nil
            guard let value = highlighted else { return [] }
            return pick(&state, choice.purpose, value: value)
        default:
            break
        }
        return []
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
        case .searchGoal:
            return startSearch(&state, budget: value)
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
        case .quitWhileFinetuning:
            // Quitting stops the fine-tuning now, writing nothing — also while the unsaved-plan
            // question that may follow is open (a run that finished meanwhile wrote its model).
            guard isYes else { return [] }
            state.finetune.isStopping = true
            return [.discardFinetune] + requestQuit(&state)
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
        case .deletePreset(let name):
            if isYes { return [.deletePreset(name)] }
            state.message = StatusMessage("preset \(name) kept")
            return [.listPresets]
        case .renamePreset(let name, let newName):
            if isYes { return [.renamePreset(name, to: newName)] }
            state.message = StatusMessage("preset \(name) not renamed")
            return [.listPresets]
        }
    }
}

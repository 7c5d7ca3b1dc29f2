import QuantCore

/// The dashboard's pure state machine: `reduce(&state, action)` applies an action and returns
/// the effects to perform (quantize and evaluate, save, load, export, quit). It never touches
/// files, threads or the terminal, so every interaction can be tested as data.
public enum Reducer {
    /// Applies `action` to `state` and returns the work to do.
    public static func reduce(_ state: inout AppState, _ action: Action, keymap: Keymap = .standard) -> [Effect] {
        let before = state.message
        let effects = withIntegerRuns(apply(&state, action, keymap: keymap), state: state)
        if let message = state.message, message != before {
            state.messageLog.append(message)
            if state.messageLog.count > maximumLogLength { state.messageLog.removeFirst() }
        }
        return effects
    }

    /// Messages the log keeps.
    static let maximumLogLength = 50

    /// `reduce` without the message log.
    static func apply(_ state: inout AppState, _ action: Action, keymap: Keymap) -> [Effect] {
        switch action {
        case .moveSelection(let delta):
            select(&state, state.selectedIndex + delta)
        case .moveSelectionByPage(let direction):
            select(&state, state.selectedIndex + direction * max(pageSize(state), 1))
        case .selectFirst:
            select(&state, 0)
        case .selectLast:
            select(&state, state.layers.count - 1)
        case .selectLayer(let index):
            select(&state, index)

        case .cycleScheme, .cycleSchemeBackward:
            let schemes = Scheme.allCases
            let current = state.selectedSettings?.scheme ?? .symmetric
            let index = schemes.firstIndex(of: current) ?? 0
            let step = action == .cycleScheme ? 1 : schemes.count - 1
            return edit(&state, .setScheme(schemes[(index + step) % schemes.count]))
        case .increaseBitWidth, .decreaseBitWidth, .setBitWidth, .setScheme, .cycleGranularity,
            .increaseFractionBits, .decreaseFractionBits,
            .increasePruning, .decreasePruning, .setPruningThreshold, .setTargetSparsity, .cycleFilterPruning,
            .toggleActivationQuantization, .toggleBiasCorrection, .toggleEqualization, .toggleLearnedRounding,
            .resetToFloat,
            .applySettingFields:
            return edit(&state, action)
        case .toggleMark:
            if let name = state.selectedLayer?.name {
                if state.marked.contains(name) { state.marked.remove(name) } else { state.marked.insert(name) }
            }
        case .toggleMarkAll:
            state.marked = state.marked.count == state.layers.count ? [] : Set(state.layers.map(\.name))
        case .undo:
            guard let previous = state.undoStack.popLast() else {
                state.message = StatusMessage("nothing to undo")
                return []
            }
            state.redoStack.append(state.plan)
            return replacePlan(&state, with: previous)
        case .redo:
            guard let next = state.redoStack.popLast() else {
                state.message = StatusMessage("nothing to redo")
                return []
            }
            state.undoStack.append(state.plan)
            return replacePlan(&state, with: next)

        case .toggleHistogramScale:
            state.histogramScale = state.histogramScale == .linear ? .log : .linear
        case .toggleHelp:
            state.overlay = state.overlay == nil ? .help(offset: 0) : nil
        case .toggleMessageLog:
            state.overlay = state.overlay == nil ? .messages : nil
        case .openLayerSettings:
            let targets = state.editTargets
            guard let first = targets.first else { return [] }
            let source = state.selectedLayer.map(\.name).flatMap { targets.contains($0) ? $0 : nil } ?? first
            state.overlay = .settings(
                SettingsForm(
                    targets: targets, draft: state.plan.settings(for: source),
                    chosenBitWidth: state.chosenBitWidths[source]))
        case .openThresholdPrompt:
            state.overlay = .prompt(pruningPrompt(state, .pruningThreshold))
        case .openSparsityPrompt:
            state.overlay = .prompt(pruningPrompt(state, .targetSparsity))
        case .openSaveDialog:
            state.overlay = .prompt(Prompt(.saveName, text: state.sessionName ?? "", folder: state.sessionsFolder))
        case .openLoadDialog:
            return [.listPresets]
        case .openExportDialog:
            let formats = ExportFormat.allCases
            state.overlay = .choice(
                Choice(.exportFormat, values: formats.map(\.rawValue), labels: formats.map(\.title)))
        case .openBudgetDialog:
            var prompt = Prompt(.budgets, text: state.budgets.text, hint: "e.g. 1pt 8x · 99% 3.5bpw · 0.5pt 40KiB")
            prompt.isPrefilled = false
            state.overlay = .prompt(prompt)
        case .openSearch:
            return openSearch(&state)
        case .toggleIntegerMode:
            return toggleIntegerMode(&state)
        case .integerMeasured(let result):
            receiveInteger(&state, result)
        case .toggleFinetune:
            return toggleFinetune(&state)
        case .finetune(let event):
            receiveFinetune(&state, event)
        case .finetuneFinished(let summary, let preset, let problem):
            finishFinetune(&state, summary, preset: preset, problem: problem)
        case .togglePareto:
            state.overlay = state.overlay == nil ? .pareto(selected: currentPointIndex(state) ?? 0) : nil
        case .requestQuit:
            if state.finetune.isRunning {
                state.overlay = .confirm(.quitWhileFinetuning)
                return []
            }
            return requestQuit(&state)
        case .overlayKey(let key):
            return handleOverlayKey(&state, key)
        case .resize(let size):
            state.screenSize = size
            select(&state, state.selectedIndex)

        case .planApplied, .planFailed, .floatEvaluated, .evaluationProgress, .evaluationFinished,
            .evaluationFailed, .presetsListed, .presetLoaded, .autosaveRestored, .autosaveFinished, .saved, .failed,
            .askToConfirm, .questionTooLate, .presetChanged:
            return receive(&state, action)
        case .searchUpdated(let status):
            receiveSearch(&state, status)
        case .sensitivity(let event):
            state.sensitivity.fold(event, currentGeneration: state.evaluation.generation)
        }
        return []
    }

    /// Quits, or asks first when there are unsaved changes (a running fine-tuning was confirmed).
    static func requestQuit(_ state: inout AppState) -> [Effect] {
        if state.hasUnsavedChanges {
            state.overlay = .confirm(.quitWithUnsavedChanges)
            return []
        }
        state.shouldQuit = true
        return [.discardOwnAutosave, .quit]
    }

    /// Applies a key press: to the open overlay if any, else through the keymap.
    public static func reduce(_ state: inout AppState, key: Key, keymap: Keymap = .standard) -> [Effect] {
        if isTooSmall(state) {
            // Only "terminal too small" is on screen: nothing may change unseen. Quitting works
            // when there is nothing to lose.
            guard keymap.action(for: key) == .requestQuit, state.overlay == nil, !state.hasUnsavedChanges else {
                return []
            }
        }
        if state.overlay != nil { return reduce(&state, .overlayKey(key), keymap: keymap) }
        guard let action = keymap.action(for: key) else { return [] }
        state.message = nil
        return reduce(&state, action, keymap: keymap)
    }

    /// The threshold or sparsity prompt, pre-filled with the selected layer's current value and
    /// showing its largest |w|.
    static func pruningPrompt(_ state: AppState, _ purpose: Prompt.Purpose) -> Prompt {
        let settings = state.selectedSettings
        var text = ""
        switch (purpose, settings?.pruning) {
        case (.pruningThreshold, .threshold(let threshold)?): text = "\(threshold)"
        case (.targetSparsity, .sparsity(let sparsity)?): text = String(format: "%g", sparsity * 100)
        default: break
        }
        let hint = state.selectedLayer.flatMap { layer in
            state.maxMagnitudes[layer.name].map { "\(layer.name): largest |w| is \(String(format: "%.4g", $0))" }
        }
        var prompt = Prompt(purpose, text: text, hint: hint)
        prompt.preview = preview(state, prompt)
        return prompt
    }

    /// Whether the screen is below the dashboard's minimum size (it then shows only that).
    public static func isTooSmall(_ state: AppState) -> Bool {
        state.screenSize.width < DashboardLayout.minimumSize.width
            || state.screenSize.height < DashboardLayout.minimumSize.height
    }

    /// Rows of the layer table that fit on screen, for paging (an estimate from the screen size;
    /// the view clamps the scroll offset precisely).
    static func pageSize(_ state: AppState) -> Int {
        max(DashboardLayout.tableRows(for: state.screenSize, layerCount: state.layers.count), 1)
    }

    /// Moves the selection to `index` (clamped) and keeps it visible.
    static func select(_ state: inout AppState, _ index: Int) {
        guard !state.layers.isEmpty else { return }
        state.selectedIndex = min(max(index, 0), state.layers.count - 1)
        let visible = pageSize(state)
        if state.selectedIndex < state.scrollOffset {
            state.scrollOffset = state.selectedIndex
        } else if state.selectedIndex >= state.scrollOffset + visible {
            state.scrollOffset = state.selectedIndex - visible + 1
        }
        state.scrollOffset = min(max(state.scrollOffset, 0), max(state.layers.count - visible, 0))
    }

    /// Makes `plan` current (undo/redo/load): re-quantize and re-evaluate as a new generation.
    static func replacePlan(_ state: inout AppState, with plan: QuantPlan) -> [Effect] {
        state.plan = plan
        state.hasUnsavedChanges = true
        state.evaluation.generation += 1
        state.evaluation.progress = 0
        state.evaluation.progressDetail = nil
        state.evaluation.estimate = nil
        state.evaluation.exact = nil
        state.evaluation.error = nil
        return [.apply(plan, generation: state.evaluation.generation), .autosave]
    }
}

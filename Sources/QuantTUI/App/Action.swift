import QuantCore

/// Everything that can happen to the dashboard: user intents (from the keymap, named for what
/// they mean, never for the key) and results coming back from the engine.
public enum Action: Sendable, Equatable {
    // MARK: Navigation
    /// Move the selection by `delta` rows (negative: up).
    case moveSelection(by: Int)
    /// Move the selection by a page (negative: up).
    case moveSelectionByPage(direction: Int)
    /// Select the first layer.
    case selectFirst
    /// Select the last layer.
    case selectLast
    /// Select the layer at a row of the table (mouse click).
    case selectLayer(index: Int)

    // MARK: Editing (applies to marked layers, or the selected one)
    /// One more bit per weight (from float: 8).
    case increaseBitWidth
    /// One bit fewer (from float: 8).
    case decreaseBitWidth
    /// Set the bit width (clamped to what the scheme allows).
    case setBitWidth(Int)
    /// Next quantization scheme (with marked layers: the one after the selected layer's, for all).
    case cycleScheme
    /// Previous quantization scheme.
    case cycleSchemeBackward
    /// Set one scheme, keeping each layer's bit width where the scheme allows it.
    case setScheme(Scheme)
    /// Fixed point: one more fraction bit, a step half as large (from the data-derived default).
    case increaseFractionBits
    /// Fixed point: one fraction bit fewer, a step twice as large.
    case decreaseFractionBits
    /// Next granularity (tensor → channel → group 32 → group 128 → tensor).
    case cycleGranularity
    /// Raise the pruning threshold by one step (`isCoarse`: ten steps).
    case increasePruning(isCoarse: Bool)
    /// Lower the pruning threshold by one step (`isCoarse`: ten steps).
    case decreasePruning(isCoarse: Bool)
    /// Set an exact pruning threshold.
    case setPruningThreshold(Float)
    /// Prune to a target sparsity (0…1).
    case setTargetSparsity(Double)
    /// Structured pruning: the next fraction of whole filters removed (none → 25 → 50 → 75 % → none).
    case cycleFilterPruning
    /// Set the named fields of the layer settings dialog (`LayerSettingField`) from `source`.
    case applySettingFields([String], from: LayerSettings)
    /// Turn 8-bit activation quantization on or off.
    case toggleActivationQuantization
    /// Turn bias correction on or off.
    case toggleBiasCorrection
    /// Turn cross-layer equalization with the next layer on or off.
    case toggleEqualization
    /// Turn learned rounding (AdaRound) on or off.
    case toggleLearnedRounding
    /// Back to float weights and activations, no pruning.
    case resetToFloat
    /// Mark or unmark the selected layer.
    case toggleMark
    /// Mark every layer, or clear the marks when all are marked.
    case toggleMarkAll
    /// Undo the last plan change.
    case undo
    /// Redo the last undone change.
    case redo

    // MARK: View
    /// Switch the histogram between linear and log counts.
    case toggleHistogramScale
    /// Show or hide the key help.
    case toggleHelp
    /// Show or hide the message log.
    case toggleMessageLog
    /// Open the layer settings dialog (every plan field) for the edit targets.
    case openLayerSettings
    /// Open the prompt for an exact pruning threshold.
    case openThresholdPrompt
    /// Open the prompt for a target sparsity.
    case openSparsityPrompt
    /// Open the save dialog.
    case openSaveDialog
    /// Ask the engine for the list of presets to load.
    case openLoadDialog
    /// Open the export dialog.
    case openExportDialog
    /// Open the budgets dialog (accuracy and size budgets).
    case openBudgetDialog
    /// Fit to a budget: choose the goal, or show the running search.
    case openSearch
    /// Show or hide the Pareto view of every plan evaluated this session.
    case togglePareto
    /// Integer mode on or off: each plan also runs as an int8 integer model, timed against float.
    case toggleIntegerMode
    /// Fine-tune the current plan in the background, or stop the running fine-tuning.
    case toggleFinetune
    /// Quit (asks first when there are unsaved changes).
    case requestQuit
    /// A key typed while an overlay is open.
    case overlayKey(Key)
    /// The terminal changed size.
    case resize(Size)

    // MARK: Results
    /// The engine applied the plan: reports and size for it.
    case planApplied(QuantizedModel)
    /// The engine could not apply the plan.
    case planFailed(String)
    /// The float model's held-out accuracy.
    case floatEvaluated(EvalReport)
    /// A result of the background sensitivity analysis.
    case sensitivity(SensitivityEvent)
    /// Progress of the evaluation of plan `generation` (-1: the float baseline).
    case evaluationProgress(generation: Int, progress: EngineProgress)
    /// A quick estimate (subset) or the exact result for plan `generation`.
    case evaluationFinished(generation: Int, report: EvalReport)
    /// The evaluation of plan `generation` failed.
    case evaluationFailed(generation: Int, message: String)
    /// Presets available to load (name, label), newest first.
    case presetsListed([PresetListing])
    /// A preset was read: applied when it is this model's, a question when it is another's.
    case presetLoaded(LoadedPreset)
    /// The autosave of a dashboard that ended was read: its state becomes this one's (unsaved).
    case autosaveRestored(LoadedPreset)
    /// The autosave was written (`failure` nil) or could not be (`failure` says why).
    case autosaveFinished(failure: String?)
    /// A preset was deleted or renamed (`renamed`: its new name); the list shows again.
    case presetChanged(name: String, renamed: String?, message: String)
    /// A save or export finished; `message` says where.
    case saved(name: String?, message: String)
    /// Something failed; show it.
    case failed(String)
    /// The background search reported.
    case searchUpdated(SearchStatus)
    /// Integer mode's run of a plan finished (or the plan has no int8 form).
    case integerMeasured(IntegerRunner.Result)
    /// The fine-tuning reported a step, an epoch or a failure.
    case finetune(FinetuneRunner.Event)
    /// The fine-tuning ended: what it wrote, and the preset saved for it (or why not).
    case finetuneFinished(FinetuneRunner.Summary, preset: String?, problem: String?)
    /// Ask the user a yes/no question (restore autosave, overwrite a file).
    case askToConfirm(Confirmation)
    /// A save or export that waited for its plan's exact result needs an answer after all (the
    /// preset or file exists). It is not asked then: a dialog popping up later would cover what
    /// the user is doing and take their next key. The status bar says how to do it again.
    case questionTooLate(Confirmation)
}

/// One line of the load dialog.
public struct PresetListing: Sendable, Equatable {
    /// The preset's name.
    public var name: String
    /// What the dialog shows: name, accuracy, size, date.
    public var label: String

    /// Creates a listing.
    public init(name: String, label: String) {
        self.name = name
        self.label = label
    }
}

/// Work `reduce` asks for; the loop performs it and feeds results back as actions.
public enum Effect: Sendable, Equatable {
    /// Quantize with the plan (cached per layer) and report, then evaluate it as `generation`.
    case apply(QuantPlan, generation: Int)
    /// Save the session preset under a name.
    case save(name: String, overwrite: SaveOverwrite)
    /// Write the autosave file.
    case autosave
    /// List presets for the load dialog.
    case listPresets
    /// Load a preset.
    case load(name: String)
    /// Restore the autosave.
    case restoreAutosave
    /// Delete a saved preset (confirmed).
    case deletePreset(String)
    /// Rename a saved preset (confirmed; never replaces one).
    case renamePreset(String, to: String)
    /// Delete the autosave of an earlier run offered at start.
    case discardAutosave
    /// Delete this dashboard's own autosave (explicit "quit without saving", or nothing unsaved).
    case discardOwnAutosave
    /// Export the current plan.
    case export(ExportFormat, path: String, overwrite: Bool)
    /// Start a guided search for `goal` from the current plan (cancelling a running one).
    case startSearch(SearchGoal)
    /// Cancel the running search (its best plan so far is kept).
    case cancelSearch
    /// Run `plan` as an integer model and time it (integer mode), dropping older such work.
    case startInteger(QuantPlan, generation: Int)
    /// Drop integer mode's running work.
    case cancelInteger
    /// Fine-tune `plan` in the background (quantization-aware, the float model as teacher).
    case startFinetune(QuantPlan)
    /// Stop the running fine-tuning after its current step (its best epoch is still written).
    case stopFinetune
    /// Stop the running fine-tuning after its current step, writing nothing (quitting).
    case discardFinetune
    /// Leave the dashboard.
    case quit
}

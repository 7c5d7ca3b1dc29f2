import QuantCore

/// Everything the dashboard shows, as a value: `reduce` turns it into the next state.
public struct AppState: Sendable, Equatable {
    /// The model's layers, in graph order (never changes during a session).
    public var layers: [Layer]
    /// The largest |w| of each layer's float weights, by name (sets the pruning step sizes).
    public var maxMagnitudes: [String: Float] = [:]
    /// A summary of each layer's |w|, by name, for the threshold prompt's live preview.
    public var weightMagnitudes: [String: WeightMagnitudes] = [:]
    /// Why a layer cannot be equalized with the next one (`E` refuses it), by name.
    public var equalizationProblems: [String: String] = [:]
    /// Why a layer's filters cannot be removed (`x` refuses it), by name.
    public var filterPruningProblems: [String: String] = [:]
    /// The layer each layer would be equalized with, by name.
    public var equalizationPartners: [String: String] = [:]
    /// The plan being edited.
    public var plan: QuantPlan
    /// Index of the selected layer.
    public var selectedIndex = 0
    /// First visible row of the layer table.
    public var scrollOffset = 0
    /// Each layer's last freely chosen bit width, restored when a scheme with a fixed width
    /// (fp8, nf4, binary, ternary) gives way to one that allows it again.
    public var chosenBitWidths: [String: Int] = [:]
    /// Layers marked for group edits, by name.
    public var marked: Set<String> = []
    /// Earlier plans, newest last (undo).
    public var undoStack: [QuantPlan] = []
    /// Undone plans, newest last (redo).
    public var redoStack: [QuantPlan] = []
    /// What the engine reported for the current plan (reports, size); `nil` before the first.
    public var quantized: QuantizedModel?
    /// The plan the engine could not apply and why (e.g. activations without calibration data),
    /// shown where its histogram would be until the plan changes.
    public var planFailure: PlanFailure?
    /// Accuracy of the float model on the held-out set.
    public var floatAccuracy: EvalReport?
    /// The evaluation state of the current plan.
    public var evaluation = EvaluationState()
    /// The background sensitivity analysis's results (issue 14).
    public var sensitivity = SensitivityState()
    /// Held-out top-1 of every plan evaluated exactly this session, oldest first.
    public var accuracyHistory: [Double] = []
    /// The held-out labels, in order (the float and the plan's predictions compared per sample
    /// give the paired interval of Δ); empty when unknown.
    public var heldOutLabels: [Int] = []
    /// The accuracy and size budgets (`b`), drawn by the accuracy and size panes.
    public var budgets = Budgets()
    /// The running or last guided search (`F`), as it last reported.
    public var search: SearchStatus?
    /// Integer mode (`i`): whether it is on and its last result.
    public var integer = IntegerModeState()
    /// The dashboard's fine-tuning (`T`).
    public var finetune = FinetuneState()
    /// Every plan evaluated this session, yours (held-out) and the search's (validation), for
    /// the Pareto view (`P`).
    public var planPoints: [PlanPoint] = []
    /// Linear or logarithmic histogram counts.
    public var histogramScale: HistogramScale = .linear
    /// A dialog or overlay on top of the panes.
    public var overlay: Overlay?
    /// The session preset's name, if saved or loaded.
    public var sessionName: String?
    /// Whether the plan changed since the last save or load.
    public var hasUnsavedChanges = false
    /// A one-line message for the status bar.
    public var message: StatusMessage?
    /// The last status messages, oldest first, in full (`m` shows them).
    public var messageLog: [StatusMessage] = []
    /// Why the last autosave failed, until one succeeds (shown in the status bar).
    public var autosaveFailure: String?
    /// The sessions folder as shown in dialogs (`Sessions`, or `--sessions-folder`).
    public var sessionsFolder = "Sessions"
    /// The folder export paths are relative to (the working folder), as shown in dialogs.
    public var workingFolder = "."
    /// The terminal size.
    public var screenSize = Size(width: 120, height: 40)
    /// Set when the user confirmed quitting.
    public var shouldQuit = false
    /// Quit as soon as the pending save succeeds (answered "save" when quitting).
    public var quitAfterSave = false
    /// Names of the bundled or given model and data, for titles.
    public var modelName: String
    /// The data set's name.
    public var dataName: String

    /// The state for a new session over `layers` with `plan`.
    public init(layers: [Layer], plan: QuantPlan = QuantPlan(), modelName: String, dataName: String) {
        self.layers = layers
        self.plan = plan
        self.modelName = modelName
        self.dataName = dataName
    }

    /// The selected layer, if the model has any.
    public var selectedLayer: Layer? {
        layers.indices.contains(selectedIndex) ? layers[selectedIndex] : nil
    }

    /// The settings of the selected layer.
    public var selectedSettings: LayerSettings? {
        selectedLayer.map { plan.settings(for: $0.name) }
    }

    /// Weights and biases of every layer (what bits per weight are counted over).
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weightCount + $1.biasCount } }

    /// The layers an edit applies to: the marked ones, or the selected one when none is marked.
    public var editTargets: [String] {
        if !marked.isEmpty { return layers.map(\.name).filter(marked.contains) }
        return selectedLayer.map { [$0.name] } ?? []
    }
}

/// Where the accuracy of the current plan stands.
public struct EvaluationState: Sendable, Equatable {
    /// Identifies the plan being evaluated; results for an older generation are stale.
    public var generation = 0
    /// Fraction done of the running evaluation, or `nil` when none runs.
    public var progress: Double?
    /// What runs for the current plan (estimate or exact), images done and time left.
    public var progressDetail: EngineProgress?
    /// Progress of the float baseline while it runs.
    public var baselineProgress: EngineProgress?
    /// The last quick estimate on a subset for the current plan.
    public var estimate: EvalReport?
    /// The exact full-set result for the current plan.
    public var exact: EvalReport?
    /// The last good exact result (kept visible while a new one runs).
    public var lastExact: EvalReport?
    /// An evaluation error, if the last run failed.
    public var error: String?

    /// Creates an idle state.
    public init() {}
}

/// Linear or logarithmic histogram counts.
public enum HistogramScale: Sendable, Equatable {
    /// Counts as they are.
    case linear
    /// `log(1 + count)`: small bins stay visible next to the peak.
    case log
}

/// A status-bar message.
public struct StatusMessage: Sendable, Equatable {
    /// The text.
    public var text: String
    /// Whether it reports a problem.
    public var isError: Bool

    /// Creates a message.
    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// A plan the engine refused, with its one-line reason.
public struct PlanFailure: Sendable, Equatable {
    /// The plan that was refused.
    public var plan: QuantPlan
    /// Why, in one line.
    public var message: String
}

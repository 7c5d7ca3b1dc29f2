/// A dialog or overlay shown above the panes; while one is open, keys go to it.
public enum Overlay: Sendable, Equatable {
    /// The key help, scrolled by `offset` lines.
    case help(offset: Int)
    /// A one-line text prompt.
    case prompt(Prompt)
    /// A list to choose from (presets to load, export formats).
    case choice(Choice)
    /// A yes/no/cancel question.
    case confirm(Confirmation)
}

/// A one-line text prompt and what its answer is for.
public struct Prompt: Sendable, Equatable {
    /// What the typed text becomes.
    public enum Purpose: Sendable, Equatable {
        /// The name to save the session preset under.
        case saveName
        /// An exact pruning threshold |w| for the edit targets.
        case pruningThreshold
        /// A target sparsity in percent for the edit targets.
        case targetSparsity
        /// The path to export to, in the given format.
        case exportPath(ExportFormat)
    }

    /// What the answer is for.
    public var purpose: Purpose
    /// The text typed so far.
    public var text: String

    /// Creates a prompt with initial text.
    public init(_ purpose: Purpose, text: String = "") {
        self.purpose = purpose
        self.text = text
    }

    /// The dialog title.
    public var title: String {
        switch purpose {
        case .saveName: "Save session preset"
        case .pruningThreshold: "Prune: |w| threshold"
        case .targetSparsity: "Prune: target sparsity"
        case .exportPath(let format): "Export \(format.title)"
        }
    }

    /// The line explaining what to type.
    public var explanation: String {
        switch purpose {
        case .saveName: "Name (letters, digits, - _ .), saved as Sessions/NAME.json"
        case .pruningThreshold: "Weights with |w| at or below this value become exactly 0 (e.g. 0.02)"
        case .targetSparsity: "Percent of weights to prune, smallest |w| first (0-99, e.g. 50)"
        case .exportPath: "File to write"
        }
    }
}

/// A list of options to pick from.
public struct Choice: Sendable, Equatable {
    /// What picking an option does.
    public enum Purpose: Sendable, Equatable {
        /// Load the chosen session preset (options are preset names).
        case loadPreset
        /// Export in the chosen format.
        case exportFormat
    }

    /// What picking does.
    public var purpose: Purpose
    /// The keys behind the options (preset names, format names).
    public var values: [String]
    /// What is shown per option.
    public var labels: [String]
    /// The highlighted option.
    public var selected: Int = 0

    /// Creates a choice.
    public init(_ purpose: Purpose, values: [String], labels: [String]) {
        self.purpose = purpose
        self.values = values
        self.labels = labels
    }
}

/// A question answered with y / n / Esc.
public enum Confirmation: Sendable, Equatable {
    /// Quit with unsaved changes: y saves first, n quits without saving.
    case quitWithUnsavedChanges
    /// Restore the autosaved state from a previous run?
    case restoreAutosave
    /// Overwrite the existing preset of this name?
    case overwritePreset(String)
    /// Overwrite the existing file at this path with an export?
    case overwriteExport(ExportFormat, path: String)
}

/// The formats the export dialog offers (the same as `quantdash export --format`).
public enum ExportFormat: String, Sendable, Equatable, CaseIterable {
    /// The normalized plan with provenance and results (re-runnable with `eval --plan`).
    case config
    /// The quantized model as ONNX in QDQ form.
    case onnx
    /// A self-contained C99 header and source for microcontrollers.
    case c
    /// A Markdown report for a pull request.
    case report

    /// Shown in dialogs.
    public var title: String {
        switch self {
        case .config: "configuration (plan JSON + results)"
        case .onnx: "quantized ONNX model (QDQ)"
        case .c: "C99 header + source for microcontrollers"
        case .report: "Markdown report"
        }
    }

    /// The default path offered (for C: the base name of NAME.h and NAME.c).
    public var defaultFileName: String {
        switch self {
        case .config: "quantdash-config.json"
        case .onnx: "quantdash-model.onnx"
        case .c: "quantdash_model"
        case .report: "quantdash-report.md"
        }
    }
}

import Foundation
import QuantCore

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
    /// The message log: the last status messages in full.
    case messages
    /// The layer settings dialog: every plan field of the edit targets.
    case settings(SettingsForm)
    /// The guided search: progress, the best plan so far, apply or cancel.
    case search
    /// Every plan evaluated this session, size against accuracy; `selected` indexes `planPoints`.
    case pareto(selected: Int)
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
        /// The new name of the saved preset with this name.
        case renamePreset(String)
        /// The accuracy and size budgets, as one line (`Budgets`).
        case budgets
    }

    /// What the answer is for.
    public var purpose: Purpose
    /// The text typed so far.
    public var text: String
    /// Whether `text` is still the pre-filled value: typing replaces it, Backspace edits it.
    public var isPrefilled: Bool
    /// The folder named by the prompt: the sessions folder (save), the working folder (export).
    public var folder: String
    /// A hint under the explanation (the current value, what a value would give), if any.
    public var hint: String?
    /// What the typed value would do (the threshold prompt: the sparsity it gives), updated
    /// as the user types.
    public var preview: String?
    /// Why the last Enter was refused; the prompt stays open showing it.
    public var error: String?

    /// Creates a prompt with initial text (pre-filled: replaced by the first character typed).
    public init(_ purpose: Purpose, text: String = "", folder: String = "Sessions", hint: String? = nil) {
        self.purpose = purpose
        self.text = text
        self.isPrefilled = !text.isEmpty
        self.folder = folder
        self.hint = hint
    }

    /// Applies an editing key: characters (replacing a pre-filled value), Backspace, C-u (clear),
    /// C-w (delete the last word). Returns false for keys that do not edit.
    mutating func edit(with key: Key) -> Bool {
        switch key {
        case .backspace, .delete:
            if !text.isEmpty { text.removeLast() }
        case .control("u"):
            text = ""
        case .control("w"):
            while text.last == " " { text.removeLast() }
            while let last = text.last, last != " ", last != "/" { text.removeLast() }
        case .character(let character):
            if isPrefilled { text = "" }
            if text.count < 200 { text.append(character) }
        default:
            return false
        }
        isPrefilled = false
        error = nil
        return true
    }

    /// The dialog title.
    public var title: String {
        switch purpose {
        case .saveName: "Save session preset"
        case .pruningThreshold: "Prune: |w| threshold"
        case .targetSparsity: "Prune: target sparsity"
        case .exportPath(let format): "Export \(format.title)"
        case .renamePreset(let name): "Rename preset \(name)"
        case .budgets: "Budgets"
        }
    }

    /// The line explaining what to type.
    public var explanation: String {
        switch purpose {
        case .saveName: "Name (letters, digits, - _ .), saved as \(folder)/NAME.json"
        case .pruningThreshold: "Weights with |w| at or below this value become exactly 0 (e.g. 0.02)"
        case .targetSparsity: "Percent of weights to prune, smallest |w| first (0-99, e.g. 50)"
        case .exportPath(.c): "Base path of NAME.h and NAME.c, relative to \(folder)"
        case .exportPath: "File to write, relative to \(folder)"
        case .renamePreset: "New name (letters, digits, - _ .), as \(folder)/NAME.json"
        case .budgets: "Max drop 1pt or min agreement 99%; size 40KiB, 8x or 3.5bpw (empty: none)"
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
        /// Start a search for the chosen budget (`accuracy`, `size`).
        case searchGoal
    }

    /// What picking does.
    public var purpose: Purpose
    /// The keys behind the options (preset names, format names).
    public var values: [String]
    /// What is shown per option.
    public var labels: [String]
    /// The highlighted option (an index into `values`).
    public var selected: Int = 0
    /// Text the options are filtered by (case-insensitive, anywhere in the label).
    public var filter = ""
    /// Whether keys type into the filter (after `/`) rather than act on the list.
    public var isFiltering = false

    /// Indices of the options the filter lets through, in order.
    public var visible: [Int] {
        guard !filter.isEmpty else { return Array(values.indices) }
        return labels.indices.filter { labels[$0].range(of: filter, options: .caseInsensitive) != nil }
    }

    /// Moves the highlight to the visible option `delta` rows away (or the first visible one).
    mutating func move(by delta: Int) {
        let shown = visible
        guard !shown.isEmpty else { return }
        let position = shown.firstIndex(of: selected).map { $0 + delta } ?? 0
        selected = shown[min(max(position, 0), shown.count - 1)]
    }

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
    /// Quit while fine-tuning runs: y stops it (writing nothing) and goes on quitting.
    case quitWhileFinetuning
    /// Restore the autosaved state from a previous run?
    case restoreAutosave
    /// Overwrite the existing preset of this name?
    case overwritePreset(String)
    /// Overwrite the existing preset of this name, which holds another model (`model`)?
    case overwritePresetOfOtherModel(String, model: String)
    /// Apply a preset made for another model (`model`) to this model's matching layers?
    case applyPresetOfOtherModel(LoadedPreset, model: String)
    /// Overwrite the existing file at this path with an export?
    case overwriteExport(ExportFormat, path: String)
    /// Delete the saved preset of this name?
    case deletePreset(String)
    /// Rename the saved preset `name` to `newName`?
    case renamePreset(String, to: String)
}

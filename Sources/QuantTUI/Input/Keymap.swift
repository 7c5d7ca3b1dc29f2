/// One key binding: the keys, the intent they trigger, and how help and hints describe it.
public struct KeyBinding: Sendable, Equatable {
    /// Sections of the help screen.
    public enum Group: String, Sendable, CaseIterable {
        /// Moving around.
        case navigation = "Navigate"
        /// Changing the plan.
        case editing = "Edit layer (or all marked layers)"
        /// Pruning.
        case pruning = "Prune"
        /// Views, presets, export, quitting.
        case session = "View & session"
    }

    /// Keys that trigger it (the first is shown in hints).
    public var keys: [Key]
    /// What it does.
    public var action: Action
    /// One line for the help screen.
    public var summary: String
    /// Its help section.
    public var group: Group
    /// A short label for the status bar, if it deserves a hint there.
    public var hint: String?
    /// How help writes the keys when listing them one by one would not read well (`"1-8"`).
    public var keyLabel: String?

    /// Creates a binding.
    public init(
        _ keys: [Key], _ action: Action, _ summary: String, group: Group, hint: String? = nil, keyLabel: String? = nil
    ) {
        self.keys = keys
        self.action = action
        self.summary = summary
        self.group = group
        self.hint = hint
        self.keyLabel = keyLabel
    }

    /// The keys as help shows them: `"↑/k"`, `"1-8"`.
    public var keysDescription: String {
        keyLabel ?? keys.map(\.description).joined(separator: "/")
    }
}

/// The key bindings as data: `reduce` looks keys up here, and the help screen and status-bar
/// hints are generated from the same table, so they can never disagree.
public struct Keymap: Sendable, Equatable {
    /// All bindings, in help order.
    public var bindings: [KeyBinding]

    /// Creates a keymap.
    public init(bindings: [KeyBinding]) {
        self.bindings = bindings
    }

    /// The intent bound to `key`, if any. Digit keys set that bit width.
    public func action(for key: Key) -> Action? {
        guard let binding = bindings.first(where: { $0.keys.contains(key) }) else { return nil }
        if case .setBitWidth = binding.action, case .character(let character) = key,
            let digit = character.wholeNumberValue
        {
            return .setBitWidth(digit)
        }
        return binding.action
    }

    /// Help sections: per group, each binding's keys joined with `/` and its summary.
    public var helpSections: [(title: String, entries: [(keys: String, description: String)])] {
        KeyBinding.Group.allCases.compactMap { group in
            let entries = bindings.filter { $0.group == group }.map { binding in
                (keys: binding.keysDescription, description: binding.summary)
            }
            return entries.isEmpty ? nil : (title: group.rawValue, entries: entries)
        }
    }

    /// Status-bar hints: the first key and the short label of every binding that has one —
    /// help, quit, save, load and export first (the bar drops hints from the end when narrow).
    public var hints: [(key: String, label: String)] {
        let ordered = bindings.filter { $0.group == .session } + bindings.filter { $0.group != .session }
        return ordered.compactMap { binding in
            guard let hint = binding.hint, let key = binding.keys.first else { return nil }
            return (key: key.description, label: hint)
        }
    }

    /// The dashboard's bindings.
    public static let standard = Keymap(bindings: [
        // Help and quit come first so the status bar keeps their hints on narrow screens.
        KeyBinding([.character("?"), .function(1)], .toggleHelp, "help", group: .session, hint: "help"),
        KeyBinding([.character("q"), .control("c")], .requestQuit, "quit", group: .session, hint: "quit"),
        KeyBinding([.up, .character("k")], .moveSelection(by: -1), "previous layer", group: .navigation),
        KeyBinding([.down, .character("j")], .moveSelection(by: 1), "next layer", group: .navigation),
        KeyBinding([.pageUp], .moveSelectionByPage(direction: -1), "page up", group: .navigation),
        KeyBinding([.pageDown], .moveSelectionByPage(direction: 1), "page down", group: .navigation),
        KeyBinding([.home], .selectFirst, "first layer", group: .navigation),
        KeyBinding([.end], .selectLast, "last layer", group: .navigation),
        KeyBinding(
            [.character("+"), .character("=")], .increaseBitWidth, "one more bit", group: .editing, hint: "bits"),
        KeyBinding([.character("-"), .character("_")], .decreaseBitWidth, "one bit fewer", group: .editing),
        KeyBinding(
            (1...8).map { .character(Character(String($0))) }, .setBitWidth(8), "set bits per weight", group: .editing,
            keyLabel: "1-8"),
        KeyBinding([.character("s")], .cycleScheme, "next scheme (bit width kept)", group: .editing, hint: "scheme"),
        KeyBinding([.character("S")], .cycleSchemeBackward, "previous scheme", group: .editing),
        KeyBinding(
            [.character("n")], .increaseFractionBits, "fixed-point: one more fraction bit (step / 2)", group: .editing),
        KeyBinding([.character("N")], .decreaseFractionBits, "fixed-point: one fraction bit fewer", group: .editing),
        KeyBinding(
            [.character("g")], .cycleGranularity, "next granularity (tensor, channel, group)", group: .editing,
            hint: "gran"),
        KeyBinding(
            [.character("a")], .toggleActivationQuantization, "8-bit activations on/off", group: .editing, hint: "act"),
        KeyBinding(
            [.character("B")], .toggleBiasCorrection,
            "bias correction on/off (the bias absorbs the weights' mean output error; bits shows +bc)",
            group: .editing),
        KeyBinding(
            [.character("E")], .toggleEqualization,
            "cross-layer equalization with the next layer on/off (rescales both before quantizing; bits shows +eq)",
            group: .editing),
        KeyBinding(
            [.character("R")], .toggleLearnedRounding,
            "learned rounding on/off (AdaRound: up or down per weight, learned on the calibration set; bits shows +ar)",
            group: .editing),
        KeyBinding(
            [.character("c"), .enter], .openLayerSettings,
            "layer settings: scheme, bits, granularity, range, rounding, prune, activations, calibration",
            group: .editing, hint: "settings"),
        KeyBinding([.character("f")], .resetToFloat, "reset to float", group: .editing, hint: "float"),
        KeyBinding([.character(" ")], .toggleMark, "mark / unmark layer", group: .editing, hint: "mark"),
        KeyBinding([.character("*")], .toggleMarkAll, "mark all / none", group: .editing),
        KeyBinding([.character("u")], .undo, "undo", group: .editing, hint: "undo"),
        KeyBinding([.character("r"), .control("r")], .redo, "redo", group: .editing),
        KeyBinding(
            [.character("]")], .increasePruning(isCoarse: false), "prune more (fine step)", group: .pruning,
            hint: "prune"),
        KeyBinding([.character("[")], .decreasePruning(isCoarse: false), "prune less (fine step)", group: .pruning),
        KeyBinding([.character("}")], .increasePruning(isCoarse: true), "prune more (coarse step)", group: .pruning),
        KeyBinding([.character("{")], .decreasePruning(isCoarse: true), "prune less (coarse step)", group: .pruning),
        KeyBinding([.character("t")], .openThresholdPrompt, "type an exact |w| threshold", group: .pruning),
        KeyBinding([.character("p")], .openSparsityPrompt, "type a target sparsity %", group: .pruning),
        KeyBinding(
            [.character("x")], .cycleFilterPruning,
            "remove whole filters: none, 25, 50, 75 % (smallest L1 norm; exports drop them)", group: .pruning),
        KeyBinding(
            [.character("b")], .openBudgetDialog, "budgets: accuracy (1pt, 99%) and size (40KiB, 8x, 3.5bpw)",
            group: .session, hint: "budget"),
        KeyBinding(
            [.character("F")], .openSearch, "fit to the accuracy or size budget (guided search)", group: .session,
            hint: "fit"),
        KeyBinding(
            [.character("P")], .togglePareto, "Pareto view: every plan evaluated, size vs accuracy", group: .session),
        KeyBinding(
            [.character("T")], .toggleFinetune,
            "fine-tune the plan: weights trained through its quantizers, float model as teacher (T again stops)",
            group: .session),
        KeyBinding(
            [.character("i")], .toggleIntegerMode,
            "integer mode on/off: the int8 plan also runs as integers (top-1, predictions that differ, ms per image vs float)",
            group: .session),
        KeyBinding([.character("m")], .toggleMessageLog, "message log (last messages in full)", group: .session),
        KeyBinding([.character("l")], .toggleHistogramScale, "histogram linear / log", group: .session),
        KeyBinding(
            [.character("w"), .control("s")], .openSaveDialog, "save session preset", group: .session, hint: "save"),
        KeyBinding([.character("o")], .openLoadDialog, "load session preset", group: .session, hint: "load"),
        KeyBinding([.character("e")], .openExportDialog, "export", group: .session, hint: "export"),
    ])
}

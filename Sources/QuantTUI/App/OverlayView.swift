import Foundation
import QuantCore

/// Draws the open overlay (help, prompt, list, question) centred over the panes.
struct OverlayView: Widget {
    /// What to draw.
    var overlay: Overlay
    /// Unicode or ASCII.
    var glyphs: GlyphSet
    /// Whether key names may use arrows.
    var isUnicode: Bool
    /// The session's preset name, if it has one (named by the quit question).
    var sessionName: String? = nil
    /// The message log (shown by `.messages`).
    var messages: [StatusMessage] = []

    func render(in area: Rect, into buffer: inout ScreenBuffer) {
        switch overlay {
        case .help(let offset):
            var help = Self.help(isUnicode: isUnicode, glyphs: glyphs)
            help.scrollOffset = min(offset, help.maximumScrollOffset(in: area))
            help.render(in: area, into: &buffer)
        case .prompt(let prompt):
            let lines =
                [prompt.explanation]
                + [prompt.hint, prompt.preview.map(glyphs.text), prompt.error.map { "! \($0)" }].compactMap { $0 }
            DialogView(
                title: prompt.title, lines: lines, input: prompt.text,
                footer: prompt.isPrefilled
                    ? "Enter ok · typing replaces · Bksp edit · C-u clear · Esc cancel"
                    : "Enter ok · C-u clear · C-w word · Esc cancel",
                glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .choice(let choice):
            let isPresetList = choice.purpose == .loadPreset
            let isSearch = choice.purpose == .searchGoal
            let visible = choice.visible
            var lines = [
                isPresetList
                    ? Self.presetListHeader : isSearch ? "tuned on the even-numbered held-out samples" : "format"
            ]
            if choice.isFiltering || !choice.filter.isEmpty {
                let cursor = choice.isFiltering ? String(glyphs.cursor) : ""
                lines.insert("filter: \(choice.filter)\(cursor)  (\(visible.count) of \(choice.values.count))", at: 0)
            }
            let footer =
                !isPresetList
                ? "Enter choose · Esc cancel"
                : choice.isFiltering
                    ? "type to filter · Enter done · Esc clear"
                    : "Enter load · / filter · d delete · r rename · Esc cancel"
            DialogView(
                title: isPresetList ? "Load session preset (newest first)" : isSearch ? "Fit to a budget" : "Export",
                lines: lines, options: visible.isEmpty ? ["(no preset matches)"] : visible.map { choice.labels[$0] },
                selectedOption: visible.firstIndex(of: choice.selected), footer: footer, maximumWidth: 96,
                glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .messages:
            let shown = messages.suffix(max(area.height - 6, 1))
            DialogView(
                title: "Messages",
                lines: shown.isEmpty ? ["no messages yet"] : shown.map { ($0.isError ? "! " : "  ") + $0.text },
                footer: "newest last · Esc closes", maximumWidth: 96, glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .settings(let form):
            let layers =
                form.targets.count == 1
                ? form.targets[0] : "\(form.targets.count) marked: \(Reducer.brief(form.targets, limit: 3))"
            let arrows = isUnicode ? "↑↓ field · ←→/Space value" : "Up/Down field · Left/Right/Space value"
            DialogView(
                title: "Layer settings · \(layers)", lines: form.explanation,
                options: form.rows.map {
                    glyphs == .ascii
                        ? $0.replacingOccurrences(of: "‹", with: "<")
                            .replacingOccurrences(of: "›", with: ">") : $0
                },
                selectedOption: form.selectedField,
                footer: "\(arrows) · Enter apply (* changed) · Esc cancel", maximumWidth: 76, glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .search, .pareto:
            break  // drawn by `DashboardView` from the state (`SearchView`, `ParetoPane`)
        case .confirm(let question):
            let (title, lines, footer) = Self.text(for: question, sessionName: sessionName)
            DialogView(title: title, lines: lines, footer: footer, glyphs: glyphs).render(in: area, into: &buffer)
        }
    }

    /// The help screen: the keymap's sections, then the table's columns, the schemes and the mouse.
    static func help(isUnicode: Bool, glyphs: GlyphSet) -> HelpView {
        let keys = Keymap.standard.helpSections.map { section in
            HelpSection(
                title: section.title,
                entries: section.entries.map {
                    (keys: KeyNames.name($0.keys, isUnicode: isUnicode), description: $0.description)
                })
        }
        let columns = HelpSection(
            title: "Layer table columns",
            entries: LayerTablePane.columnTable.map { (keys: $0.column.title, description: glyphs.text($0.summary)) })
        let schemes = HelpSection(
            title: "Schemes (s/S, c)",
            entries: Scheme.allCases.map { scheme in
                let widths = scheme.allowedBitWidths
                let bits =
                    widths.lowerBound == widths.upperBound
                    ? "\(widths.lowerBound) bit" : "\(widths.lowerBound)-\(widths.upperBound) bits"
                return (keys: scheme.rawValue, description: "\(bits): \(scheme.summary)")
            })
        let mouse = HelpSection(
            title: "Mouse",
            entries: [
                (keys: "click", description: "select that row's layer"),
                (keys: "wheel", description: "previous / next layer"),
            ])
        let footer = isUnicode ? "↑↓ PgUp/PgDn scroll · Esc/? closes" : "Up/Down PgUp/PgDn scroll · Esc/? closes"
        return HelpView(sections: keys + [columns, schemes, mouse], title: "Help", footer: footer, glyphs: glyphs)
    }

    /// The column titles over the preset list (`SessionPersistence.listPresets` pads its labels alike).
    static let presetListHeader =
        "  " + "name".padding(toLength: 18, withPad: " ", startingAt: 0) + " "
        + "model".padding(toLength: 18, withPad: " ", startingAt: 0) + " top-1    size  ratio  saved"

    static func text(for question: Confirmation, sessionName: String? = nil) -> (String, [String], String) {
        switch question {
        case .quitWithUnsavedChanges:
            if let sessionName {
                (
                    "Quit", ["The plan has unsaved changes. Save them to preset '\(sessionName)' (replacing it)?"],
                    "y save · n discard changes and quit · Esc stay"
                )
            } else {
                (
                    "Quit", ["The plan has unsaved changes. Save them as a session preset?"],
                    "y save · n discard changes and quit · Esc stay"
                )
            }
        case .quitWhileFinetuning:
            (
                "Quit",
                [
                    "Fine-tuning is running. Quitting stops it and writes no model or preset.",
                    "To keep its best epoch so far, stay and press T: it stops after the step and saves.",
                ],
                "y stop it and quit · n/Esc stay"
            )
        case .restoreAutosave:
            (
                "Restore?",
                [
                    "A dashboard that ended without saving left an autosave",
                    "of this model and data, newer than the saved preset.",
                    "Restore it?",
                ],
                "y restore · n discard it · Esc later"
            )
        case .overwritePreset(let name):
            ("Overwrite?", ["A preset named '\(name)' exists. Overwrite it?"], "y overwrite · n cancel")
        case .overwritePresetOfOtherModel(let name, let model):
            (
                "Overwrite?",
                ["Preset '\(name)' holds another model: \(model).", "Replace it with this model's session?"],
                "y overwrite · n cancel"
            )
        case .applyPresetOfOtherModel(let loaded, let model):
            (
                "Another model's preset",
                [
                    "Preset '\(loaded.name)' was made for \(model).",
                    loaded.matchedLayers.isEmpty
                        ? "No layer of this model has its names."
                        : "Layers of this model with its names: \(Reducer.brief(loaded.matchedLayers)).",
                    "Apply its settings to them? (open it with its model: --session \(loaded.name))",
                ],
                "y apply · n cancel"
            )
        case .overwriteExport(_, let path):
            ("Overwrite?", ["\(path) exists. Overwrite it?"], "y overwrite · n cancel")
        case .deletePreset(let name):
            ("Delete?", ["Delete the saved preset '\(name)'? This cannot be undone."], "y delete · n keep")
        case .renamePreset(let name, let newName):
            ("Rename?", ["Rename the saved preset '\(name)' to '\(newName)'?"], "y rename · n cancel")
        }
    }
}

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
            let sections = Keymap.standard.helpSections.map { section in
                HelpSection(
                    title: section.title,
                    entries: section.entries.map {
                        (keys: KeyNames.name($0.keys, isUnicode: isUnicode), description: $0.description)
                    })
            }
            let help = HelpView(sections: sections, title: "Keys", glyphs: glyphs)
            let clamped = min(offset, help.maximumScrollOffset(in: area))
            HelpView(sections: sections, scrollOffset: clamped, title: "Keys", glyphs: glyphs).render(
                in: area, into: &buffer)
        case .prompt(let prompt):
            let lines = [prompt.explanation] + [prompt.hint, prompt.error.map { "! \($0)" }].compactMap { $0 }
            DialogView(
                title: prompt.title, lines: lines, input: prompt.text,
                footer: prompt.isPrefilled
                    ? "Enter ok · typing replaces · Bksp edit · C-u clear · Esc cancel"
                    : "Enter ok · C-u clear · C-w word · Esc cancel",
                glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .choice(let choice):
            let title = choice.purpose == .loadPreset ? "Load session preset" : "Export"
            let explanation = choice.purpose == .loadPreset ? "newest first" : "format"
            DialogView(
                title: title, lines: [explanation], options: choice.labels, selectedOption: choice.selected,
                footer: "Enter choose · Esc cancel", maximumWidth: 76, glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .messages:
            let shown = messages.suffix(max(area.height - 6, 1))
            DialogView(
                title: "Messages",
                lines: shown.isEmpty ? ["no messages yet"] : shown.map { ($0.isError ? "! " : "  ") + $0.text },
                footer: "newest last · Esc closes", maximumWidth: 96, glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .confirm(let question):
            let (title, lines, footer) = Self.text(for: question, sessionName: sessionName)
            DialogView(title: title, lines: lines, footer: footer, glyphs: glyphs).render(in: area, into: &buffer)
        }
    }

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
        case .restoreAutosave:
            (
                "Restore?",
                [
                    "An autosave of this model and data from a dashboard that ended",
                    "is newer than the last saved preset. Restore it?",
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
        }
    }
}

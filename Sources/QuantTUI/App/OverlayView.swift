/// Draws the open overlay (help, prompt, list, question) centred over the panes.
struct OverlayView: Widget {
    /// What to draw.
    var overlay: Overlay
    /// Unicode or ASCII.
    var glyphs: GlyphSet
    /// Whether key names may use arrows.
    var isUnicode: Bool

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
            DialogView(
                title: prompt.title, lines: [prompt.explanation], input: prompt.text, footer: "Enter ok · Esc cancel",
                glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .choice(let choice):
            let title = choice.purpose == .loadPreset ? "Load session preset" : "Export"
            let explanation = choice.purpose == .loadPreset ? "newest first" : "format"
            DialogView(
                title: title, lines: [explanation], options: choice.labels, selectedOption: choice.selected,
                footer: "Enter choose · Esc cancel", maximumWidth: 76, glyphs: glyphs
            ).render(in: area, into: &buffer)
        case .confirm(let question):
            let (title, lines, footer) = Self.text(for: question)
            DialogView(title: title, lines: lines, footer: footer, glyphs: glyphs).render(in: area, into: &buffer)
        }
    }

    static func text(for question: Confirmation) -> (String, [String], String) {
        switch question {
        case .quitWithUnsavedChanges:
            (
                "Quit", ["The plan has unsaved changes. Save them as a session preset?"],
                "y save · n quit without saving · Esc stay"
            )
        case .restoreAutosave:
            (
                "Restore?", ["An autosave from an earlier run is newer than the last saved preset.", "Restore it?"],
                "y restore · n discard"
            )
        case .overwritePreset(let name):
            ("Overwrite?", ["A preset named '\(name)' exists. Overwrite it?"], "y overwrite · n cancel")
        case .overwriteExport(_, let path):
            ("Overwrite?", ["\(path) exists. Overwrite it?"], "y overwrite · n cancel")
        }
    }
}

/// A key the user pressed, as the dashboard understands it.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    /// A printable character (letters, digits, punctuation, space).
    case character(Character)
    /// Control plus a letter, e.g. `.control("c")`.
    case control(Character)
    /// Arrow up.
    case up
    /// Arrow down.
    case down
    /// Arrow left.
    case left
    /// Arrow right.
    case right
    /// Page up.
    case pageUp
    /// Page down.
    case pageDown
    /// Home.
    case home
    /// End.
    case end
    /// Return / Enter.
    case enter
    /// Escape.
    case escape
    /// Backspace.
    case backspace
    /// Delete.
    case delete
    /// Tab.
    case tab
    /// Shift-Tab.
    case backTab
    /// A function key F1…F12.
    case function(Int)

    /// How the key is written in help and hints: `"j"`, `"↑"`, `"PgDn"`, `"C-c"`, `"F1"`.
    public var description: String {
        switch self {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .control(let character): "C-\(character)"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Bksp"
        case .delete: "Del"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .function(let number): "F\(number)"
        }
    }
}

/// A mouse button press at a cell.
public struct MouseEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// Left button pressed.
        case press
        /// Wheel turned up.
        case scrollUp
        /// Wheel turned down.
        case scrollDown
    }

    /// What happened.
    public var kind: Kind
    /// Column.
    public var column: Int
    /// Row.
    public var row: Int

    /// Creates a mouse event.
    public init(kind: Kind, column: Int, row: Int) {
        self.kind = kind
        self.column = column
        self.row = row
    }
}

/// Everything the terminal can tell the dashboard.
public enum TerminalEvent: Sendable, Hashable {
    /// A key press.
    case key(Key)
    /// A mouse event.
    case mouse(MouseEvent)
    /// The terminal changed size.
    case resize(Size)
}

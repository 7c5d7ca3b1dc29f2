/// Why the ncurses terminal could not start.
public enum NcursesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Standard input or output is not a terminal (piped or redirected); `stream` names which.
    case notATerminal(stream: String)
    /// `TERM` is unset (`nil`), unknown to terminfo, or names a terminal that cannot address the
    /// cursor (such as `dumb`).
    case unknownTerminal(term: String?)
    /// ncurses refused to start for another reason.
    case initializationFailed(term: String)
    /// Another `NcursesBackend` is already running; stop it first.
    case alreadyRunning

    /// One line for the user, e.g. `terminal "dumb" is not supported (...)`.
    public var description: String {
        switch self {
        case .notATerminal(let stream):
            "\(stream) is not a terminal: the dashboard must run in an interactive terminal"
        case .unknownTerminal(nil):
            "TERM is not set: set it to your terminal type, e.g. TERM=xterm-256color"
        case .unknownTerminal(let term?):
            "terminal \"\(term)\" is unknown or cannot move the cursor: "
                + "set TERM to your terminal type, e.g. TERM=xterm-256color"
        case .initializationFailed(let term):
            "ncurses could not start on terminal \"\(term)\""
        case .alreadyRunning:
            "the terminal dashboard is already running"
        }
    }
}

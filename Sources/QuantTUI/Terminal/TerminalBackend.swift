/// What a terminal can show.
public struct TerminalCapabilities: Sendable, Equatable {
    /// Whether colours are available (else the dashboard stays readable in monochrome).
    public var hasColor: Bool
    /// Whether UTF-8 output works (else histograms and bars fall back to ASCII).
    public var isUnicode: Bool

    /// Creates capabilities.
    public init(hasColor: Bool, isUnicode: Bool) {
        self.hasColor = hasColor
        self.isUnicode = isUnicode
    }

    /// A modern terminal: colours and Unicode.
    public static let full = TerminalCapabilities(hasColor: true, isUnicode: true)
}

/// The narrow interface between the dashboard and a real terminal (ncurses) or a test double.
///
/// Only `Terminal` calls it: it hands over the cells that changed since the last frame.
public protocol TerminalBackend: AnyObject {
    /// The current size in cells.
    var size: Size { get }
    /// What the terminal can show.
    var capabilities: TerminalCapabilities { get }
    /// Writes the given cells (not yet visible until `flush`).
    func draw(_ changes: [CellChange])
    /// Forgets what is on screen so the next frame is drawn in full (after a resize).
    func clear()
    /// Makes everything drawn so far visible.
    func flush()
    /// The next event, waiting at most `timeoutMilliseconds` (0: do not wait); `nil` if none came.
    func nextEvent(timeoutMilliseconds: Int) -> TerminalEvent?
}

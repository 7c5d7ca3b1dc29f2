/// A terminal backend for tests: keeps the screen as a buffer, counts what was sent, and plays
/// back a queue of events.
public final class RecordingBackend: TerminalBackend {
    /// The current size; change it and queue a `.resize` to simulate a resize.
    public var size: Size {
        didSet { screen = ScreenBuffer(size: size) }
    }
    /// Colours and Unicode, as a test wants them.
    public var capabilities: TerminalCapabilities
    /// What the screen shows after the last `flush`.
    public private(set) var screen: ScreenBuffer
    /// Cells written per flushed frame.
    public private(set) var cellsPerFrame: [Int] = []
    /// Events returned by `nextEvent`, first first.
    public var pendingEvents: [TerminalEvent] = []

    private var pending: [CellChange] = []

    /// A backend of `size` with the given capabilities.
    public init(size: Size, capabilities: TerminalCapabilities = .full) {
        self.size = size
        self.capabilities = capabilities
        screen = ScreenBuffer(size: size)
    }

    /// Records the changes for the next flush.
    public func draw(_ changes: [CellChange]) {
        pending += changes
    }

    /// Blanks the recorded screen.
    public func clear() {
        screen = ScreenBuffer(size: size)
    }

    /// Applies recorded changes to `screen`.
    public func flush() {
        for change in pending { screen[change.column, change.row] = change.cell }
        cellsPerFrame.append(pending.count)
        pending = []
    }

    /// Pops the next queued event, if any.
    public func nextEvent(timeoutMilliseconds: Int) -> TerminalEvent? {
        pendingEvents.isEmpty ? nil : pendingEvents.removeFirst()
    }
}

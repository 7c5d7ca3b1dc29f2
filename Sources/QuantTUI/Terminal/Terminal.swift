/// Two buffers and a diff: renders a frame into a fresh buffer and sends the backend only the
/// cells that changed since the previous frame.
public final class Terminal {
    /// The backend frames go to.
    public let backend: TerminalBackend
    /// What the backend shows now, or `nil` when it must be redrawn in full.
    public private(set) var shown: ScreenBuffer?

    /// Creates a terminal over `backend`.
    public init(backend: TerminalBackend) {
        self.backend = backend
    }

    /// Renders one frame at the backend's current size and returns the number of cells sent.
    @discardableResult
    public func draw(_ render: (inout ScreenBuffer) -> Void) -> Int {
        var frame = ScreenBuffer(size: backend.size)
        render(&frame)
        if shown?.size != frame.size {
            backend.clear()
            shown = nil
        }
        let changes = frame.changes(since: shown)
        if !changes.isEmpty {
            backend.draw(changes)
            backend.flush()
        }
        shown = frame
        return changes.count
    }

    /// Forces the next frame to be drawn in full.
    public func invalidate() {
        shown = nil
        backend.clear()
    }
}

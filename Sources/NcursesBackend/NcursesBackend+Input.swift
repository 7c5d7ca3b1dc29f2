import CNcursesShim
import QuantTUI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension NcursesBackend {
    /// The longest single wait, so a caught SIGTERM/SIGHUP is acted on within this time.
    static let signalCheckMilliseconds = 50

    /// The next key, mouse event or resize, waiting at most `timeoutMilliseconds` (0: poll).
    ///
    /// Returns `nil` on timeout and for input the dashboard ignores (unknown keys, mouse
    /// releases); see `InputDecoding` for the key table. A resize returns the new size. If a
    /// terminating signal was caught, restores the terminal and exits with 128 + signal.
    public func nextEvent(timeoutMilliseconds: Int) -> TerminalEvent? {
        guard let window = currentWindow else { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(timeoutMilliseconds, 0)))
        while true {
            exitIfSignalled()
            let remaining = clock.now.duration(to: deadline).components
            let remainingMilliseconds = max(
                0, Int(remaining.seconds) * 1000 + Int(remaining.attoseconds / 1_000_000_000_000_000))
            wtimeout(window, Int32(min(remainingMilliseconds, Self.signalCheckMilliseconds)))
            var code: wint_t = 0
            let status = wget_wch(window, &code)
            exitIfSignalled()
            if status != qd_err() {
                return event(status: status, code: UInt32(code))
            }
            if clock.now >= deadline { return nil }
        }
    }

    private func event(status: Int32, code: UInt32) -> TerminalEvent? {
        switch InputDecoding.decode(code, isKeyCode: status == qd_key_code_yes()) {
        case .key(let key)?:
            return .key(key)
        case .resize?:
            return .resize(size)
        case .mouse?:
            var mouse = MEVENT()
            guard getmouse(&mouse) == qd_ok() else { return nil }
            return InputDecoding.mouseEvent(buttonState: mouse.bstate, column: mouse.x, row: mouse.y)
                .map(TerminalEvent.mouse)
        case nil:
            return nil
        }
    }

    /// Restores the terminal and exits with 128 + signal if SIGINT/SIGTERM/SIGHUP/SIGQUIT came.
    private func exitIfSignalled() {
        let signalNumber = qd_take_pending_signal()
        guard signalNumber != 0 else { return }
        stop()
        exit(128 + signalNumber)
    }
}

import CNcursesShim
import QuantTUI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The terminal backend over ncursesw: the only code in quantdash that calls ncurses.
///
/// ```swift
/// let backend = try NcursesBackend.start()
/// defer { backend.stop() }
/// let terminal = Terminal(backend: backend)
/// ```
///
/// **Threads.** ncurses is not thread-safe: create, use and stop the backend on the main thread
/// only. The class is deliberately not `Sendable`, so Swift 6 refuses to hand it to another
/// isolation domain.
///
/// **Terminal modes.** `raw()`: Ctrl-C, Ctrl-Z, Ctrl-\ and Ctrl-S arrive as keys
/// (`.control("c")`), so the app decides what they do (e.g. offer to save before quitting).
/// Also noecho, nonl (Enter arrives as `\r`), keypad, invisible cursor, a 25 ms Escape delay,
/// mouse press and wheel reporting.
///
/// **Restoring the terminal.** `stop()` (idempotent; also run by `deinit` and by an `atexit`
/// hook, so `exit()` restores too). SIGINT, SIGTERM, SIGHUP and SIGQUIT sent from outside only set
/// a flag in the signal handler (endwin is not async-signal-safe); `nextEvent` checks it at least
/// every 50 ms, restores the terminal and exits with status 128 + signal. A second such signal
/// while the first is unhandled restores with async-signal-safe calls and exits at once. Crash
/// signals (a Swift trap is SIGILL or SIGTRAP) restore the same way and then reach the previous
/// handler, so a backtrace prints on a sane screen. Standard error is held back while running
/// and printed after the restore (also on a crash, so the runtime's `Fatal error:` line is
/// kept). SIGKILL cannot be caught: `quantdash` runs the dashboard under `TerminalSupervisor`, a
/// parent process that restores the terminal after `kill -9` (held-back stderr is lost then).
public final class NcursesBackend: TerminalBackend {
    /// How the terminal is set up.
    public struct Options: Sendable, Equatable {
        /// Report left clicks and the wheel as `.mouse` events (disables the terminal's own
        /// selection while the dashboard runs).
        public var isMouseEnabled: Bool
        /// Use colours when the terminal has them; off when `NO_COLOR` is set (no-color.org).
        public var isColorEnabled: Bool
        /// How long ncurses waits after Esc for the rest of an escape sequence.
        public var escapeDelayMilliseconds: Int
        /// Install the signal handlers described on `NcursesBackend` (off: the caller does).
        public var installsSignalHandlers: Bool
        /// While running, hold back standard error (when it is a terminal) and print it after
        /// the terminal is restored, so stray messages cannot garble the dashboard.
        public var capturesStandardError: Bool

        /// Creates options; colour defaults to on unless `NO_COLOR` is set to a non-empty value.
        public init(
            isMouseEnabled: Bool = true,
            isColorEnabled: Bool = !Options.isNoColorRequested(noColor: Options.environmentNoColor),
            escapeDelayMilliseconds: Int = 25,
            installsSignalHandlers: Bool = true,
            capturesStandardError: Bool = true
        ) {
            self.isMouseEnabled = isMouseEnabled
            self.isColorEnabled = isColorEnabled
            self.escapeDelayMilliseconds = escapeDelayMilliseconds
            self.installsSignalHandlers = installsSignalHandlers
            self.capturesStandardError = capturesStandardError
        }

        /// Whether a `NO_COLOR` value asks for monochrome: set and not empty (no-color.org).
        public static func isNoColorRequested(noColor: String?) -> Bool {
            guard let noColor else { return false }
            return !noColor.isEmpty
        }

        /// The `NO_COLOR` environment variable, if set.
        public static var environmentNoColor: String? {
            getenv("NO_COLOR").map { String(cString: $0) }
        }
    }

    /// What this terminal can show: colour unless the terminal lacks it or `NO_COLOR` is set;
    /// Unicode when the locale's encoding is UTF-8.
    public let capabilities: TerminalCapabilities

    private var screen: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private var colorPairs: ColorPairTable

    /// The linked ncurses library's version, e.g. `"ncurses 6.4.20221231"`.
    public static var libraryVersion: String {
        guard let version = curses_version() else { return "ncurses (unknown version)" }
        return String(cString: version)
    }

    /// Takes over the terminal: locale, ncurses screen, modes, colours, mouse, signal handlers.
    ///
    /// - Throws: `NcursesError.notATerminal` when standard input or output is redirected,
    ///   `.unknownTerminal` when `TERM` is unset, unknown or cannot address the cursor (`dumb`),
    ///   `.alreadyRunning` when another backend is running. Nothing is printed and the terminal
    ///   is untouched when it throws.
    public static func start(options: Options = Options()) throws(NcursesError) -> NcursesBackend {
        guard qd_session_is_active() == 0 else { throw .alreadyRunning }
        guard isatty(STDIN_FILENO) == 1 else { throw .notATerminal(stream: "standard input") }
        guard isatty(STDOUT_FILENO) == 1 else { throw .notATerminal(stream: "standard output") }
        _ = qd_setlocale_from_environment()
        let isUnicode = isUTF8(codeset: String(cString: qd_codeset()))
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty else {
            throw .unknownTerminal(term: nil)
        }
        guard qd_terminal_is_usable(term, STDOUT_FILENO) == 1 else {
            throw .unknownTerminal(term: term)
        }
        // Before newterm: ncurses installs its own SIGINT/SIGTERM handlers only where it finds
        // the default action, so ours take precedence.
        qd_save_tty_modes(STDOUT_FILENO)
        if options.installsSignalHandlers { qd_install_signal_handlers() }
        if options.capturesStandardError { _ = qd_capture_stderr() }
        guard let screen = newterm(term, qd_stdout(), qd_stdin()), let window = qd_stdscr() else {
            qd_release_stderr()
            qd_remove_signal_handlers()
            throw .initializationFailed(term: term)
        }
        // ncurses leaves a new screen in its "initial" state until it comes back from endwin,
        // and in that state it flushes its output after every cursor movement: a full frame
        // went out in ~150 writes (one per jump over blank cells). One round trip through
        // shell mode, before any mode is set up, puts it in the running state: a frame is then
        // written in one or two writes.
        endwin()
        doupdate()
        raw()
        noecho()
        nonl()
        keypad(window, true)
        intrflush(window, false)
        scrollok(window, false)
        leaveok(window, true)
        curs_set(0)
        set_escdelay(Int32(clamping: options.escapeDelayMilliseconds))
        var isMouseEnabled = false
        if options.isMouseEnabled {
            isMouseEnabled = mousemask(InputDecoding.mouseMask, nil) != 0
            mouseinterval(0)
        }
        var hasColor = false
        var colorPairs = ColorPairTable(pairCount: 0, colorCount: 0, hasDefaultColors: false)
        if options.isColorEnabled && has_colors() && start_color() == qd_ok() {
            hasColor = true
            colorPairs = ColorPairTable(
                pairCount: Int(qd_color_pairs()), colorCount: Int(qd_colors()),
                hasDefaultColors: use_default_colors() == qd_ok())
        }
        qd_session_begin(STDOUT_FILENO, isMouseEnabled ? 1 : 0)
        return NcursesBackend(
            screen: screen, window: window, colorPairs: colorPairs,
            capabilities: TerminalCapabilities(hasColor: hasColor, isUnicode: isUnicode))
    }

    private init(
        screen: OpaquePointer, window: UnsafeMutablePointer<WINDOW>, colorPairs: ColorPairTable,
        capabilities: TerminalCapabilities
    ) {
        self.screen = screen
        self.window = window
        self.colorPairs = colorPairs
        self.capabilities = capabilities
    }

    deinit { stop() }

    /// The window while running (for the input extension).
    var currentWindow: UnsafeMutablePointer<WINDOW>? { window }

    /// Whether the backend still owns the terminal (`stop()` not yet called).
    public var isRunning: Bool { screen != nil }

    /// Gives the terminal back: shows the cursor, leaves the alternate screen, restores the
    /// shell's tty modes and the previous signal handlers, then prints what was written to
    /// standard error meanwhile. Safe to call more than once.
    public func stop() {
        guard let screen else { return }
        self.screen = nil
        window = nil
        curs_set(1)
        endwin()
        qd_session_end()
        delscreen(screen)
        qd_release_stderr()
        qd_remove_signal_handlers()
    }

    /// The current window size in cells (0 × 0 after `stop()`).
    public var size: Size {
        guard let window else { return Size(width: 0, height: 0) }
        return Size(width: Int(qd_max_x(window)), height: Int(qd_max_y(window)))
    }

    /// Writes the changed cells into ncurses' virtual screen; `flush()` shows them.
    ///
    /// Symbols pass through `SymbolFallback` (ASCII when the locale is not UTF-8, `?` for wide
    /// or control characters); colours are dropped when `capabilities.hasColor` is false.
    /// Cells outside the window are skipped.
    public func draw(_ changes: [CellChange]) {
        guard let window else { return }
        let isUnicode = capabilities.isUnicode
        let columnWidth: (Unicode.Scalar) -> Int = { scalar in
            Int(qd_column_width(wchar_t(truncatingIfNeeded: scalar.value)))
        }
        let maximumCodePoints = Int(qd_cchar_max())
        // Consecutive cells mostly share a style: look its attributes and pair up once per run.
        var lastStyle: Style?
        var attributes = attr_t(0)
        var pair: Int32 = 0
        withUnsafeTemporaryAllocation(of: wchar_t.self, capacity: maximumCodePoints) { codePoints in
            for change in changes {
                var count = 0
                if let ascii = change.cell.symbol.asciiValue, ascii >= 0x20, ascii < 0x7F {
                    codePoints[0] = wchar_t(ascii)  // printable ASCII, the common case: as it is
                    count = 1
                } else {
                    let symbol = SymbolFallback.displayable(
                        change.cell.symbol, isUnicode: isUnicode, columnWidth: columnWidth)
                    for scalar in symbol.unicodeScalars.prefix(maximumCodePoints) {
                        codePoints[count] = wchar_t(truncatingIfNeeded: scalar.value)
                        count += 1
                    }
                }
                let style = change.cell.style
                if style != lastStyle {
                    attributes = CellAttributes.attributes(for: style.attributes)
                    pair = Int32(colorPair(for: style))
                    lastStyle = style
                }
                _ = qd_put_cell(
                    window, Int32(clamping: change.row), Int32(clamping: change.column),
                    codePoints.baseAddress, Int32(count), attributes, pair)
            }
        }
    }

    /// Blanks the virtual screen and makes the next `flush()` repaint the whole terminal.
    public func clear() {
        guard let window else { return }
        werase(window)
        clearok(window, true)
    }

    /// Sends what changed since the last flush to the terminal.
    public func flush() {
        guard let window else { return }
        wnoutrefresh(window)
        doupdate()
    }

    /// The pair for `style`'s colours, allocating it with `init_pair` on first use.
    private func colorPair(for style: Style) -> Int16 {
        guard capabilities.hasColor else { return 0 }
        let lookup = colorPairs.pair(foreground: style.foreground, background: style.background)
        if let allocation = lookup.allocation {
            init_pair(allocation.number, allocation.foreground, allocation.background)
        }
        return lookup.number
    }

    /// Whether `codeset` (from `nl_langinfo(CODESET)`) names UTF-8.
    static func isUTF8(codeset: String) -> Bool {
        let normalized = codeset.uppercased().filter { $0 != "-" && $0 != "_" }
        return normalized == "UTF8"
    }
}

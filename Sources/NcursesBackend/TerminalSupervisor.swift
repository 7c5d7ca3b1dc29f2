import CNcursesShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs the dashboard in a child process so the terminal comes back even after `kill -9`.
///
/// No process can handle its own SIGKILL, so the `quantdash` the user started becomes a small
/// supervisor: it spawns itself again (same executable, same arguments, plus the environment
/// variable `QUANTDASH_SUPERVISOR_PID`), waits, and when the child is gone with the terminal
/// still in raw mode it turns mouse reporting off, resets attributes, shows the cursor, leaves
/// keypad mode and the alternate screen, and restores the shell's tty modes. It then exits with
/// the child's status (128 + signal when a signal ended it).
///
/// ```
/// $ pgrep -a quantdash          # two processes while the dashboard runs
/// 4100 quantdash …              # the supervisor (the shell's job)
/// 4101 quantdash …              # the dashboard, which holds the screen: pgrep -n quantdash
/// ```
///
/// SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the supervisor are forwarded to the dashboard,
/// which restores the terminal and exits 128 + signal; if the supervisor itself dies, Linux
/// sends the dashboard SIGHUP (`PR_SET_PDEATHSIG`).
public enum TerminalSupervisor {
    /// How a supervised dashboard ended.
    public struct Outcome: Sendable, Equatable {
        /// The status to exit with: the child's exit status, or 128 + signal.
        public var status: Int32
        /// The signal that ended the child, if one did.
        public var signal: Int32?
        /// Whether the supervisor had to restore the terminal (the child could not).
        public var restoredTerminal: Bool
    }

    /// Whether this process is the dashboard spawned by a supervisor; consumes the marker, so
    /// call it once, first thing (it also arms `PR_SET_PDEATHSIG`).
    public static func isSupervisedChild() -> Bool {
        qd_supervised_child_setup() == 1
    }

    /// Runs this same executable with the same arguments as a supervised child and waits for it.
    ///
    /// - Returns: How it ended, or nil when standard output is not a terminal or the child could
    ///   not be started: then run the dashboard in this process.
    public static func runSupervisedChild(arguments: [String]) -> Outcome? {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return nil }
        return supervise(
            ttyDescriptor: STDOUT_FILENO, term: getenv("TERM").map { String(cString: $0) },
            executable: currentExecutablePath() ?? arguments.first ?? "quantdash", arguments: arguments)
    }

    /// Runs `executable` with `arguments` (the first is the program name) under `qd_supervise`,
    /// checking and restoring the terminal on `ttyDescriptor` described by `term`.
    ///
    /// - Returns: How it ended, or nil when `ttyDescriptor` is not a terminal or the spawn failed.
    static func supervise(ttyDescriptor: Int32, term: String?, executable: String, arguments: [String]) -> Outcome? {
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { for pointer in cArguments { free(pointer) } }
        var signal: Int32 = 0
        var restored: Int32 = 0
        let status = cArguments.withUnsafeBufferPointer { argv in
            qd_supervise(ttyDescriptor, term, executable, argv.baseAddress, &signal, &restored)
        }
        guard status >= 0 else { return nil }
        return Outcome(status: status, signal: signal == 0 ? nil : signal, restoredTerminal: restored == 1)
    }

    /// The running executable's path (`/proc/self/exe` on Linux), or nil when unknown.
    static func currentExecutablePath() -> String? {
        #if os(Linux)
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #else
            return nil
        #endif
    }

    /// The signal's name for messages (`"SIGKILL"`), or `"signal N"`.
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

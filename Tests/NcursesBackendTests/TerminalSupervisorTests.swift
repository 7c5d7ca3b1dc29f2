import CNcursesShim
import Foundation
import Testing

@testable import NcursesBackend

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The supervising parent, on a pseudo-terminal (no tmux): a child that dies in raw mode gets
/// the terminal restored behind it, a child that restored it is left alone, and SIGTERM sent to
/// the supervisor reaches the child.
@Suite(.serialized) struct TerminalSupervisorTests {
    /// A pseudo-terminal pair: the supervisor watches `terminal`, the test reads what was
    /// written to it from `controller`.
    struct PseudoTerminal {
        let controller: Int32
        let terminal: Int32
        let path: String

        init() throws {
            var name = [CChar](repeating: 0, count: 256)
            let controller = qd_open_pseudo_terminal(&name, name.count)
            try #require(controller >= 0)
            let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let terminal = open(path, O_RDWR | O_NOCTTY)
            try #require(terminal >= 0)
            self.controller = controller
            self.terminal = terminal
            self.path = path
        }

        func closeBoth() {
            close(terminal)
            close(controller)
        }

        /// The terminal's modes.
        func modes() -> termios {
            var modes = termios()
            tcgetattr(terminal, &modes)
            return modes
        }

        /// Everything written to the terminal so far.
        func written() -> String {
            _ = fcntl(controller, F_SETFL, fcntl(controller, F_GETFL) | O_NONBLOCK)
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(controller, &buffer, buffer.count)
                guard count > 0 else { break }
                bytes += buffer[0..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func sameModes(_ a: termios, _ b: termios) -> Bool {
        a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_lflag == b.c_lflag && a.c_cflag == b.c_cflag
    }

    @Test func aChildKilledInRawModeGetsTheTerminalRestored() throws {
        let pty = try PseudoTerminal()
        defer { pty.closeBoth() }
        let before = pty.modes()
        // What a SIGKILLed dashboard leaves: raw mode, no echo, no output processing.
        let outcome = TerminalSupervisor.supervise(
            ttyDescriptor: pty.terminal, term: "xterm", executable: "/bin/sh",
            arguments: ["sh", "-c", "stty raw -echo -opost < \(pty.path) && kill -9 $$"])
        #expect(outcome == .init(status: 137, signal: SIGKILL, restoredTerminal: true))
        #expect(Self.sameModes(pty.modes(), before))
        let written = pty.written()
        #expect(written.contains("\u{1B}[?1000l"), "mouse reporting off")
        #expect(written.contains("\u{1B}[?25h"), "cursor shown (xterm cnorm)")
        #expect(written.contains("\u{1B}[?1l"), "keypad mode off (xterm rmkx)")
        #expect(written.contains("\u{1B}[?1049l"), "alternate screen left (xterm rmcup)")
    }

    @Test func aChildThatRestoredTheTerminalIsLeftAlone() throws {
        let pty = try PseudoTerminal()
        defer { pty.closeBoth() }
        let outcome = TerminalSupervisor.supervise(
            ttyDescriptor: pty.terminal, term: "xterm", executable: "/bin/sh", arguments: ["sh", "-c", "exit 3"])
        #expect(outcome == .init(status: 3, signal: nil, restoredTerminal: false))
        #expect(pty.written().isEmpty)
    }

    @Test func sigtermSentToTheSupervisorReachesTheChild() throws {
        let pty = try PseudoTerminal()
        defer { pty.closeBoth() }
        let clock = ContinuousClock()
        // The child signals its parent (this process, supervising) at once and exits 42 when the
        // forwarded SIGTERM arrives; without forwarding it would sleep 20 s and exit 0. The kill
        // often lands before the spawning thread has stored the child's pid (a busy machine
        // preempts it right after the spawn), so run it many times: that signal must be kept
        // and forwarded too, never lost.
        for attempt in 1...40 {
            let start = clock.now
            let outcome = TerminalSupervisor.supervise(
                ttyDescriptor: pty.terminal, term: "xterm", executable: "/bin/sh",
                arguments: ["sh", "-c", "trap 'exit 42' TERM; kill -TERM $PPID; sleep 20 & wait $!"])
            #expect(outcome == .init(status: 42, signal: nil, restoredTerminal: false), "attempt \(attempt)")
            #expect(clock.now - start < .seconds(10), "attempt \(attempt)")
            if outcome?.status != 42 { break }
        }
    }

    @Test func theSpawnedChildIsMarkedAndTheMarkIsConsumed() throws {
        let pty = try PseudoTerminal()
        defer { pty.closeBoth() }
        let outcome = TerminalSupervisor.supervise(
            ttyDescriptor: pty.terminal, term: nil, executable: "/bin/sh",
            arguments: ["sh", "-c", "[ \"$QUANTDASH_SUPERVISOR_PID\" = \"$PPID\" ] && exit 7 || exit 1"])
        #expect(outcome?.status == 7)
        #expect(getenv("QUANTDASH_SUPERVISOR_PID") == nil)
        #expect(!TerminalSupervisor.isSupervisedChild())
    }

    @Test func withoutATerminalTheDashboardRunsInProcess() {
        let outcome = TerminalSupervisor.supervise(
            ttyDescriptor: -1, term: "xterm", executable: "/bin/sh", arguments: ["sh", "-c", "exit 0"])
        #expect(outcome == nil)
    }
}

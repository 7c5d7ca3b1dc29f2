import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A pseudo-terminal for the dashboard benchmarks: the slave side is what the program sees as
/// its terminal; a background thread drains the master side, counting and keeping the bytes.
final class PseudoTerminal: @unchecked Sendable {
    private let master: Int32
    private let slave: Int32
    private let lock = NSLock()
    private var received = 0
    private var text = Data()
    private var lastArrival = Timing.nowMilliseconds()
    private var isClosed = false

    /// Opens a pseudo-terminal of `columns` × `rows` and starts draining it.
    init(columns: Int, rows: Int) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else {
            throw BenchError("openpty failed: \(String(cString: strerror(errno)))")
        }
        self.master = master
        self.slave = slave
        let thread = Thread { [self] in drain() }
        thread.start()
    }

    /// Bytes written to the terminal so far.
    var byteCount: Int { lock.withLock { received } }

    /// Waits until nothing has arrived for 20 ms since the call or the last byte (at most 2 s).
    func waitUntilQuiet() {
        let called = Timing.nowMilliseconds(), deadline = called + 2000
        while Timing.nowMilliseconds() < deadline {
            let idle = Timing.nowMilliseconds() - max(called, lock.withLock { lastArrival })
            if idle >= 20 { return }
            usleep(2000)
        }
    }

    /// Waits until the output so far contains `marker`.
    @discardableResult
    func waitForOutput(containing marker: String, timeoutSeconds: Double) -> Bool {
        let needle = Data(marker.utf8)
        let deadline = Timing.nowMilliseconds() + timeoutSeconds * 1000
        while Timing.nowMilliseconds() < deadline {
            if lock.withLock({ text.range(of: needle) != nil }) { return true }
            usleep(500)
        }
        return false
    }

    /// Types `keys` into the terminal.
    func send(_ keys: String) {
        var bytes = Array(keys.utf8)
        _ = write(master, &bytes, bytes.count)
    }

    /// Runs `body` with this process's standard input and output on the terminal, restoring them after.
    func attachingStandardStreams<T>(_ body: () throws -> T) throws -> T {
        fflush(nil)
        let savedInput = dup(STDIN_FILENO), savedOutput = dup(STDOUT_FILENO)
        dup2(slave, STDIN_FILENO)
        dup2(slave, STDOUT_FILENO)
        defer {
            fflush(nil)
            dup2(savedInput, STDIN_FILENO)
            dup2(savedOutput, STDOUT_FILENO)
            Glibc.close(savedInput)
            Glibc.close(savedOutput)
        }
        return try body()
    }

    /// Starts `path` with the terminal as its standard input, output and error, in a new session
    /// with the terminal as its controlling terminal.
    func spawn(_ path: String, arguments: [String], environment: [String: String]) throws -> pid_t {
        // Everything allocated before fork: the child may only make async-signal-safe calls.
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let pid = fork()
        guard pid >= 0 else { throw BenchError("fork failed") }
        if pid == 0 {
            setsid()
            _ = ioctl(slave, UInt(TIOCSCTTY), 0)
            dup2(slave, STDIN_FILENO)
            dup2(slave, STDOUT_FILENO)
            dup2(slave, STDERR_FILENO)
            execve(path, argv, envp)
            _exit(127)
        }
        return pid
    }

    /// Waits for `pid` (killing it after `timeoutSeconds`); returns its exit status (128 + signal
    /// when killed) and its peak resident memory in KiB, descendants included.
    static func wait(for pid: pid_t, timeoutSeconds: Double) -> (status: Int32, maxResidentKiB: Int) {
        let deadline = Timing.nowMilliseconds() + timeoutSeconds * 1000
        var status: Int32 = 0
        var usage = rusage()
        while true {
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 { return (-1, 0) }
            if Timing.nowMilliseconds() > deadline { kill(pid, SIGKILL) }
            usleep(5000)
        }
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, usage.ru_maxrss)
    }

    /// Stops draining and closes both sides.
    func close() {
        lock.withLock { isClosed = true }
        Glibc.close(slave)
        Glibc.close(master)
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !lock.withLock({ isClosed }) {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let count = read(master, &buffer, buffer.count)
            if count <= 0 {
                if count < 0 && errno == EINTR { continue }
                if count < 0 && errno == EIO { usleep(10000); continue }  // no slave open yet / child gone
                continue
            }
            lock.withLock {
                received += count
                text.append(contentsOf: buffer[0..<count])
                if text.count > 1 << 20 { text.removeFirst(text.count - (1 << 19)) }
                lastArrival = Timing.nowMilliseconds()
            }
        }
    }
}

import Foundation
import QuantCore

/// Progress of long engine work on stderr, once it (or the printer) has run more than a second: a bar that
/// redraws in place on a terminal, plain lines (at most one per 10 % or 5 s) otherwise, so logs
/// stay short. Quiet work never prints.
final class ProgressPrinter: @unchecked Sendable {
    private let isTerminal: Bool
    private let delay: Double
    private let lock = NSLock()
    private var lastLine = ""
    private var lastPrinted: (fraction: Double, time: Double)?
    private var isBarShown = false
    private let created = Engine.now()

    /// Seconds of work before progress shows: 1, or `QUANTDASH_PROGRESS_AFTER` from the environment.
    static var defaultDelay: Double {
        ProcessInfo.processInfo.environment["QUANTDASH_PROGRESS_AFTER"].flatMap(Double.init).map { max(0, $0) } ?? 1
    }

    /// A printer that starts after `delay` seconds of work.
    init(delay: Double = ProgressPrinter.defaultDelay, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.delay = delay
        self.isTerminal = isTerminal
    }

    /// Reports `progress` (called from any thread).
    func report(_ progress: EngineProgress) {
        lock.withLock {
            guard progress.elapsedSeconds >= delay || Engine.now() - created >= delay else { return }
            let line = progress.summary
            guard line != lastLine else { return }
            lastLine = line
            if isTerminal {
                let width = 24
                let filled = Int((progress.fraction * Double(width)).rounded(.down))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                write("\r\u{1B}[K[\(bar)] \(line)")
                isBarShown = true
            } else {
                let now = progress.elapsedSeconds
                if let last = lastPrinted, progress.done < progress.total,
                    progress.fraction - last.fraction < 0.1, now - last.time < 5
                {
                    return
                }
                lastPrinted = (progress.fraction, now)
                write(line + "\n")
            }
        }
    }

    /// Runs `work` with a printer's `LoadProgress` (opening files), ending the bar afterwards.
    static func whileLoading<T>(_ work: (LoadProgress) throws -> T) rethrows -> T {
        let printer = ProgressPrinter()
        defer { printer.finish() }
        return try work(LoadProgress(printer.report))
    }

    /// Ends the bar's line, if one is shown.
    func finish() {
        lock.withLock {
            if isBarShown { write("\r\u{1B}[K") }
            isBarShown = false
            lastLine = ""
            lastPrinted = nil
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

import Dispatch
import Foundation
import QuantCore

/// What `quantdash finetune` writes: progress on stderr (a line redrawn in place on a terminal,
/// at most one line per 10 s otherwise), one line per epoch, and the summary on stdout.
final class FinetuneOutput: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPrinted = -Double.infinity
    private var isLineShown = false

    /// After every step.
    func step(_ progress: FineTuner.Progress) {
        let now = Engine.now()
        guard now - lastPrinted >= (isTerminal ? 0.2 : 10) || progress.step == progress.totalSteps else { return }
        lastPrinted = now
        let line = String(
            format: "step %d/%d  epoch %d/%d  loss %.4f  %.0f s, about %.0f s left", progress.step,
            progress.totalSteps, progress.epoch, progress.epochCount, progress.loss, progress.elapsedSeconds,
            progress.secondsLeft)
        if isTerminal {
            FinetuneOutput.write("\r\u{1B}[K" + line)
            isLineShown = true
        } else {
            FinetuneOutput.write(line + "\n")
        }
    }

    /// After each epoch's held-out evaluation.
    func epoch(_ epoch: FineTuner.Epoch) {
        finishLine()
        FinetuneOutput.write(
            String(
                format: "epoch %d: mean loss %.4f, held-out top-1 of the quantized model %@\n", epoch.number,
                epoch.meanLoss, FinetuneOutput.top1(epoch.report)))
    }

    /// Ends a progress line redrawn in place.
    func finishLine() {
        guard isLineShown else { return }
        FinetuneOutput.write("\n")
        isLineShown = false
    }

    /// A note on stderr.
    static func note(_ text: String) { write("note: \(text)\n") }

    /// `97.10 % (971/1000)`, or the agreement with the float model for unlabeled data.
    static func top1(_ report: EvalReport) -> String {
        guard report.hasLabels else {
            return String(format: "agreement %.2f %%", (report.agreement ?? 0) * 100)
        }
        return String(format: "%.2f %% (%d/%d)", report.top1 * 100, report.correctCount, report.count)
    }

    /// The final lines on stdout.
    static func summary(
        _ result: FineTuner.Result, out: String, digest: String, plan: String, trainingName: String
    )
        -> String
    {
        let kept =
            result.keptEpoch == 0
            ? "the starting weights (no epoch completed)"
            : "epoch \(result.keptEpoch) of \(result.epochs.count) (lowest mean training loss)"
        return [
            "wrote \(out) (sha256 \(digest))",
            "  trained on       \(trainingName), \(String(format: "%.1f", result.trainingSeconds)) s"
                + (result.wasCancelled ? " (cancelled)" : ""),
            "  kept             \(kept)",
            "  held-out top-1   \(top1(result.before)) before → \(top1(result.report)) after (quantized by \(plan))",
            "  reproduce        quantdash eval --model \(out) --plan \(plan)",
        ].joined(separator: "\n")
    }

    private static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

/// Ctrl-C while fine-tuning: the first stops at the next step (the best weights are kept); a
/// second exits at once.
final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var source: DispatchSourceSignal?

    /// Whether Ctrl-C was pressed.
    var isCancelled: Bool { lock.withLock { cancelled } }

    /// Starts listening for SIGINT.
    static func onInterrupt() -> Cancellation {
        let cancellation = Cancellation()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [cancellation] in
            let wasCancelled = cancellation.lock.withLock {
                defer { cancellation.cancelled = true }
                return cancellation.cancelled
            }
            if wasCancelled { exit(130) }
            FileHandle.standardError.write(Data("\ninterrupted: stopping, keeping the best epoch so far\n".utf8))
        }
        source.resume()
        cancellation.source = source
        return cancellation
    }
}

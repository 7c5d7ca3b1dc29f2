import Foundation
import QuantCore

/// The dashboard's fine-tuning (`T`): the running one's progress and what the last one produced.
public struct FinetuneState: Sendable, Equatable {
    /// Whether a fine-tuning run is going on.
    public var isRunning = false
    /// Whether `T` asked it to stop (it stops after the current step, keeping its best epoch).
    public var isStopping = false
    /// The latest step of the running fine-tuning.
    public var progress: FineTuner.Progress?
    /// The last finished epoch of the running fine-tuning and its quantized student's held-out top-1.
    public var lastEpoch: FinetuneEpoch?
    /// What the last finished run wrote.
    public var summary: FinetuneRunner.Summary?

    /// No fine-tuning yet.
    public init() {}
}

/// One finished epoch of a fine-tuning run.
public struct FinetuneEpoch: Sendable, Equatable {
    /// Its number, from 1.
    public var number: Int
    /// The quantized student's held-out top-1 after it.
    public var top1: Double
}

/// Where the dashboard's fine-tuning gets its training data: never the held-out set.
public struct FinetuneTraining: Sendable {
    /// How the status bar names it, e.g. "the bundled training digits".
    public var name: String
    /// Reads it (on the fine-tuning queue).
    public var load: @Sendable () throws -> Dataset

    /// Training data named `name`, read by `load`.
    public init(name: String, load: @escaping @Sendable () throws -> Dataset) {
        self.name = name
        self.load = load
    }
}

extension Reducer {
    /// `T`: fine-tunes the current plan in the background, or stops the running fine-tuning.
    static func toggleFinetune(_ state: inout AppState) -> [Effect] {
        if state.finetune.isRunning {
            guard !state.finetune.isStopping else { return [] }
            state.finetune.isStopping = true
            state.message = StatusMessage("stopping fine-tuning after this step; its best epoch so far is kept")
            return [.stopFinetune]
        }
        guard state.layers.contains(where: { !state.plan.settings(for: $0.name).isFloat }) else {
            state.message = StatusMessage("nothing to fine-tune: every layer is float; quantize or prune some first")
            return []
        }
        var finetune = FinetuneState()
        finetune.isRunning = true
        finetune.summary = state.finetune.summary
        state.finetune = finetune
        state.message = StatusMessage(
            "fine-tuning this plan: weights trained through its quantizers, the float model as teacher; T stops")
        return [.startFinetune(state.plan)]
    }

    /// Folds a fine-tuning event in.
    static func receiveFinetune(_ state: inout AppState, _ event: FinetuneRunner.Event) {
        switch event {
        case .started(let training, let model):
            state.message = StatusMessage(
                "fine-tuning on \(training) into \(Printable.name(model.lastPathComponent)); T stops (the best epoch "
                    + "so far is kept)")
        case .progress(let progress):
            state.finetune.progress = progress
        case .epoch(let number, let top1):
            state.finetune.lastEpoch = FinetuneEpoch(number: number, top1: top1)
            state.message = StatusMessage(
                String(format: "fine-tuning: epoch %d done, held-out top-1 %.2f %% for this plan", number, top1 * 100))
        case .failed(let line):
            state.finetune.isRunning = false
            state.finetune.isStopping = false
            state.message = StatusMessage("fine-tuning failed: \(line)", isError: true)
        case .discarded:
            state.finetune.isRunning = false
            state.finetune.isStopping = false
            state.message = StatusMessage("fine-tuning stopped: nothing written")
        case .finished:
            break  // `finetuneFinished`, once its preset is saved
        }
    }

    /// A fine-tuning run ended: its summary, and the preset saved for it (or why not).
    static func finishFinetune(
        _ state: inout AppState, _ summary: FinetuneRunner.Summary, preset: String?, problem: String?
    ) {
        state.finetune.isRunning = false
        state.finetune.isStopping = false
        guard summary.keptEpoch > 0 else {
            state.message = StatusMessage("fine-tuning stopped before its first epoch ended: nothing written")
            return
        }
        state.finetune.summary = summary
        var text = String(
            format:
                "fine-tuned in %.0f s: held-out top-1 %.2f %% → %.2f %% for this plan (epoch %d of %d kept); wrote %@",
            summary.seconds, summary.top1Before * 100, summary.top1After * 100, summary.keptEpoch, summary.epochs,
            Printable.name(summary.model.lastPathComponent))
        if let preset {
            text += "; open it with: quantdash --session \(preset)"
        } else if let problem {
            text += "; the preset was not saved: \(problem)"
        }
        state.message = StatusMessage(text)
    }
}

/// What the Accuracy pane shows about fine-tuning.
enum FinetuneText {
    /// `35 s`, `4 min 05 s`, `1 h 02 min`.
    static func duration(_ seconds: Double) -> String {
        let whole = seconds.isFinite ? max(0, Int(seconds.rounded())) : 0
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60)
    }

    /// Two lines while fine-tuning runs or after it ended (none before the first run).
    static func accuracyLines(_ state: AppState, isCompact: Bool) -> [(String, Style)] {
        let finetune = state.finetune
        let label = isCompact ? "tune   " : "fine-tune "
        let indent = String(repeating: " ", count: label.count)
        if finetune.isRunning {
            guard let progress = finetune.progress else { return [(label + "reading the training data…", .dim)] }
            let style = Style(foreground: .cyan)
            var lines = [
                (
                    label
                        + "epoch \(progress.epoch)/\(progress.epochCount) step \(progress.step)/\(progress.totalSteps)"
                        + String(format: " loss %.3f", progress.loss), style
                )
            ]
            var second = indent + duration(progress.secondsLeft) + " left"
            if let last = finetune.lastEpoch {
                second += String(format: " · epoch %d %.2f %%", last.number, last.top1 * 100)
            }
            second += finetune.isStopping ? " · stopping" : " · T stops"
            lines.append((second, style))
            return lines
        }
        guard let summary = finetune.summary else { return [] }
        let style = Style(foreground: .green)
        return [
            (
                label + String(format: "%.2f %% → %.2f %%", summary.top1Before * 100, summary.top1After * 100)
                    + " (epoch \(summary.keptEpoch)/\(summary.epochs))", style
            ),
            (indent + Printable.name(summary.model.lastPathComponent), style),
        ]
    }
}

import Foundation
import QuantCore

/// Integer mode (`i`): the plan also runs as a true int8 model in the background
/// (`IntegerRunner`), after every plan change, and the panes show what it gives.
public struct IntegerModeState: Sendable, Equatable {
    /// Whether integer mode is on.
    public var isEnabled = false
    /// The last result, for the plan generation it names.
    public var result: IntegerRunner.Result?

    /// Creates the state of a session with integer mode off.
    public init() {}

    /// The outcome for plan `generation`, or nil while it runs (or when mode is off).
    public func outcome(for generation: Int) -> IntegerRunner.Outcome? {
        guard isEnabled, let result, result.generation == generation else { return nil }
        return result.outcome
    }

    /// The measurement for plan `generation`, when its integer model ran.
    public func measured(for generation: Int) -> (IntegerEvaluation, LatencyProfile)? {
        if case .measured(let evaluation, let profile) = outcome(for: generation) { return (evaluation, profile) }
        return nil
    }
}

extension Reducer {
    /// `i`: turns integer mode on (running the current plan now) or off.
    static func toggleIntegerMode(_ state: inout AppState) -> [Effect] {
        state.integer.isEnabled.toggle()
        state.integer.result = nil
        guard state.integer.isEnabled else {
            state.message = StatusMessage("integer mode off")
            return [.cancelInteger]
        }
        state.message = StatusMessage(
            "integer mode on: each plan also runs as int8 integers in the background (top-1, ms per image vs float)")
        return [.startInteger(state.plan, generation: state.evaluation.generation)]
    }

    /// Keeps the integer result of the current plan; an older plan's is dropped. Why a plan has
    /// no int8 form also goes to the status bar, where the whole line fits (the panes cut it).
    static func receiveInteger(_ state: inout AppState, _ result: IntegerRunner.Result) {
        guard state.integer.isEnabled, result.generation == state.evaluation.generation else { return }
        state.integer.result = result
        switch result.outcome {
        case .refused(let reason): state.message = StatusMessage("integer mode: not int8: \(reason)")
        case .failed(let message): state.message = StatusMessage("integer mode: \(message)", isError: true)
        case .measured: break
        }
    }

    /// With integer mode on, every plan the engine is asked to apply also runs as integers.
    static func withIntegerRuns(_ effects: [Effect], state: AppState) -> [Effect] {
        guard state.integer.isEnabled else { return effects }
        var result = effects
        for case .apply(let plan, let generation) in effects {
            result.append(.startInteger(plan, generation: generation))
        }
        return result
    }
}

/// What the panes show in integer mode.
enum IntegerModeText {
    /// The Accuracy pane's line: integer top-1 and how many predictions differ, the reason the
    /// plan has no int8 form, or that it runs.
    static func accuracyLine(_ state: AppState, isCompact: Bool) -> (String, Style)? {
        guard state.integer.isEnabled else { return nil }
        let label = isCompact ? "int    " : "integer   "
        switch state.integer.outcome(for: state.evaluation.generation) {
        case .measured(let evaluation, _):
            let differ = evaluation.differingPredictions
            let verb = differ == 1 ? "differs" : "differ"
            return (
                label + String(format: "top-1 %6.2f %%  ", evaluation.top1 * 100)
                    + (isCompact ? "\(differ) \(verb)" : "\(differ) of \(evaluation.count) \(verb)"),
                Style(foreground: .cyan)
            )
        case .refused(let reason):
            return (label + "not int8: " + reason, Style(foreground: .yellow))
        case .failed(let message):
            return (label + "failed: " + message, Style(foreground: .red, attributes: .bold))
        case nil:
            return (label + "running int8 model…", .dim)
        }
    }

    /// The Size pane's row: `1.90× faster than float, 0.213 ms per image`, or the refusal.
    static func sizeRow(_ state: AppState, glyphs: GlyphSet) -> SizePane.Row? {
        guard state.integer.isEnabled else { return nil }
        let times = glyphs == .ascii ? "x" : "×"
        switch state.integer.outcome(for: state.evaluation.generation) {
        case .measured(_, let profile):
            let speedup = profile.speedup
            let comparison =
                speedup >= 1
                ? String(format: "%.2f%@ faster than float", speedup, times)
                : String(format: "%.2f%@ slower than float", speedup > 0 ? 1 / speedup : 0, times)
            return [
                (comparison, Style(foreground: speedup >= 1 ? .green : .yellow, attributes: .bold)),
                (", \(milliseconds(profile.integer.msPerImage)) ms per image", .plain),
            ]
        case .refused(let reason):
            return [("not int8: " + reason, Style(foreground: .yellow))]
        case .failed(let message):
            return [("integer run failed: " + message, Style(foreground: .red))]
        case nil:
            return [("timing the int8 model…", .dim)]
        }
    }

    /// Milliseconds with three significant digits (0.0213, 0.213, 2.13, 21.3, 213).
    static func milliseconds(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0" }
        let digits = max(0, 2 - Int(log10(value).rounded(.down)))
        return String(format: "%.\(min(digits, 6))f", value)
    }
}

import Foundation
import QuantCore

/// The dashboard's one loop: read an event, reduce it, perform effects, drain engine results,
/// and redraw when something changed. Time is never slept on: the only wait is the event poll.
///
/// The engine (`Engine`) does all quantization and evaluation on its own queues: an edit only
/// submits the plan, and the results come back as events folded in by the reducer, so a key is
/// drawn at once whatever the engine is doing. A save or export asked for before the exact
/// result of the current plan is in waits for it (the status bar says so) instead of
/// evaluating on its own; if it then finds its preset or file existing, the status bar says so
/// instead of a question opening later, out of context; quitting cancels the engine's work.
public final class DashboardApp {
    /// The state shown.
    public private(set) var state: AppState
    /// The engine.
    public let workbench: Workbench

    private let terminal: Terminal
    private let engine: Engine
    /// The guided search (`F`), below the engine's plan work.
    private let searchRunner: SearchRunner
    /// Integer mode's runs (`i`), after the engine's plan work.
    private let integerRunner: IntegerRunner
    /// Fine-tuning (`T`), on its training data with its options.
    let finetuneRunner: FinetuneRunner
    let finetuneSetup: (training: FinetuneTraining, options: FineTuner.Options)?
    /// The preset the running fine-tuning will be saved as.
    var finetunePreset: String?
    /// Saves and exports waiting for the exact result of the plan generation they were asked for.
    private var waitingForExact: [(effect: Effect, generation: Int)] = []
    let persistence: DashboardPersistence?
    private let keymap: Keymap
    private let view = DashboardView()
    private var needsRedraw = true

    /// A dashboard over `workbench`, drawing through `backend`.
    public init(
        workbench: Workbench, backend: TerminalBackend, state: AppState, persistence: DashboardPersistence?,
        keymap: Keymap = .standard, estimateSize: Int = 200, sensitivity: Sensitivity? = nil,
        finetune: (training: FinetuneTraining, options: FineTuner.Options)? = nil
    ) {
        self.workbench = workbench
        self.terminal = Terminal(backend: backend)
        let engine = Engine(workbench: workbench, estimateSize: estimateSize)
        self.engine = engine
        self.searchRunner = SearchRunner(engine: engine)
        self.integerRunner = IntegerRunner(engine: engine)
        self.finetuneRunner = FinetuneRunner(workbench: workbench)
        self.finetuneSetup = finetune
        self.persistence = persistence
        self.keymap = keymap
        var initial = state
        initial.screenSize = backend.size
        if initial.heldOutLabels.isEmpty, workbench.heldOut.hasLabels {
            initial.heldOutLabels = workbench.heldOut.labels
        }
        if let sensitivity {
            // Lowest priority, on its own workbench: plan results always come first.
            initial.sensitivity.isEnabled = true
            initial.sensitivity.menu = TuningMenu.standard.options
            engine.startSensitivity(sensitivity, menu: initial.sensitivity.menu)
        }
        self.state = initial
    }

    /// Starts the float baseline and the first plan, and offers to restore an autosave.
    public func start() {
        engine.evaluateFloat()
        if state.plan != QuantPlan() || state.quantized == nil {
            perform(.apply(state.plan, generation: state.evaluation.generation))
        }
        if let persistence, persistence.hasNewerAutosave() {
            dispatch(.askToConfirm(.restoreAutosave))
        }
    }

    /// Runs until the user quits. `pollMilliseconds` bounds how long an idle loop waits for input.
    public func run(pollMilliseconds: Int = 30) {
        start()
        while !state.shouldQuit {
            step(pollMilliseconds: pollMilliseconds)
        }
        stop()
    }

    /// Cancels the engine's, the search's and the sensitivity analysis's work and waits until
    /// they are idle (what quitting does).
    public func stop() {
        searchRunner.cancel()
        integerRunner.cancel()
        finetuneRunner.stop(keeping: false)
        engine.shutDown()
        engine.waitUntilIdle()
        searchRunner.waitUntilIdle()
        integerRunner.waitUntilIdle()
        finetuneRunner.waitUntilIdle()
        engine.waitUntilSensitivityIdle()
    }

    /// One turn of the loop: draw if needed, wait for one event, fold in engine results.
    public func step(pollMilliseconds: Int) {
        if needsRedraw {
            render()
        }
        if let event = terminal.backend.nextEvent(timeoutMilliseconds: pollMilliseconds) {
            handle(event)
        }
        drainEngine()
    }

    /// Folds the engine's events in, then performs saves and exports whose exact result came.
    private func drainEngine() {
        for event in engine.drain() {
            dispatch(DashboardApp.action(for: event))
        }
        for status in searchRunner.drain() {
            dispatch(.searchUpdated(status))
        }
        for result in integerRunner.drain() {
            dispatch(.integerMeasured(result))
        }
        for event in finetuneRunner.drain() {
            guard case .finished(let summary) = event else {
                dispatch(.finetune(event))
                continue
            }
            finishFinetune(summary)
        }
        guard !waitingForExact.isEmpty else { return }
        // A save or export is for the plan it was asked for: a newer plan drops it (no dialog pops
        // up later, out of context), the exact result of its own plan performs it.
        if waitingForExact.contains(where: { $0.generation != state.evaluation.generation }) {
            waitingForExact.removeAll()
            state.message = StatusMessage("not saved: the plan changed before its exact result came in; save again")
            needsRedraw = true
        } else if hasExactResult {
            let effects = waitingForExact.map(\.effect)
            waitingForExact.removeAll()
            // Performed late: a preset or file that exists is not asked about now (the question
            // would open over whatever the user has opened since and take their next key).
            for effect in effects { perform(effect, late: true) }
        }
    }

    /// The action that folds `event` into the state.
    static func action(for event: EngineEvent) -> Action {
        switch event {
        case .applied(_, let model): .planApplied(model)
        case .applyFailed(_, let message): .planFailed(message)
        case .floatEvaluated(let report): .floatEvaluated(report)
        case .sensitivity(let event): .sensitivity(event)
        case .progress(let generation, let progress): .evaluationProgress(generation: generation, progress: progress)
        case .evaluated(let generation, let report): .evaluationFinished(generation: generation, report: report)
        case .evaluationFailed(let generation, let message):
            generation < 0 ? .failed(message) : .evaluationFailed(generation: generation, message: message)
        }
    }

    /// Draws the current state.
    public func render() {
        let capabilities = terminal.backend.capabilities
        terminal.draw { [view, state] buffer in
            view.render(state, capabilities: capabilities, into: &buffer)
        }
        needsRedraw = false
    }

    /// Feeds one terminal event through the keymap and reducer.
    public func handle(_ event: TerminalEvent) {
        switch event {
        case .key(let key):
            apply(Reducer.reduce(&state, key: key, keymap: keymap))
        case .mouse(let mouse):
            if let action = view.action(for: mouse, state: state) { dispatch(action) }
        case .resize(let size):
            terminal.invalidate()
            dispatch(.resize(size))
        }
        needsRedraw = true
    }

    /// Reduces one action and performs its effects.
    public func dispatch(_ action: Action) {
        apply(Reducer.reduce(&state, action, keymap: keymap))
        needsRedraw = true
    }

    /// Waits for running evaluations and folds their results in (tests, scripted runs).
    public func settle() {
        engine.waitUntilIdle()
        drainEngine()
    }

    /// Waits for the running search to end and folds in its statuses and the evaluations (tests).
    public func settleSearch() {
        searchRunner.waitUntilIdle()
        settle()
    }

    /// Waits for the fine-tuning to end and folds its events in (tests).
    public func settleFinetune() {
        finetuneRunner.waitUntilIdle()
        engine.waitUntilIdle()
        drainEngine()
    }

    /// Waits for integer mode's run as well and folds its result in (tests).
    public func settleInteger() {
        engine.waitUntilIdle()
        integerRunner.waitUntilIdle()
        drainEngine()
    }

    /// Waits for the background sensitivity analysis as well and folds its results in (tests).
    public func settleSensitivity() {
        engine.waitUntilIdle()
        engine.waitUntilSensitivityIdle()
        drainEngine()
    }

    private func apply(_ effects: [Effect]) {
        for effect in effects { perform(effect) }
    }

    /// Performs `effect`; `late`: it waited for its exact result, so questions become messages.
    private func perform(_ effect: Effect, late: Bool = false) {
        switch effect {
        case .apply(let plan, let generation):
            engine.submit(plan, generation: generation)
        case .save(let name, _):
            guard hasExactResult || persistence == nil else { return waitForExact(effect, doing: "saving \(name)") }
            performSessionEffect(effect, late: late)
        case .autosave, .listPresets, .load, .restoreAutosave, .discardAutosave, .discardOwnAutosave, .deletePreset,
            .renamePreset:
            performSessionEffect(effect)
        case .export(let format, let path, let overwrite):
            guard let persistence else { return dispatch(.failed("export is not available")) }
            guard hasExactResult else { return waitForExact(effect, doing: "exporting \(path)") }
            do {
                let message = try persistence.export(format, path: path, overwrite: overwrite, state: state)
                dispatch(.saved(name: nil, message: message))
            } catch DashboardPersistenceError.exists {
                ask(.overwriteExport(format, path: path), late: late)
            } catch {
                dispatch(.failed(DashboardApp.describe(error)))
            }
        case .startSearch(let goal):
            searchRunner.start(goal, plan: state.plan)
        case .cancelSearch:
            searchRunner.cancel()
        case .startInteger(let plan, let generation):
            integerRunner.start(plan, generation: generation)
        case .cancelInteger:
            integerRunner.cancel()
        case .startFinetune(let plan):
            startFinetune(plan)
        case .stopFinetune:
            finetuneRunner.stop()
        case .discardFinetune:
            finetuneRunner.stop(keeping: false)
        case .quit:
            state.shouldQuit = true
        }
    }

    /// Asks `question`, or says in the status bar why nothing was done when it comes `late`.
    func ask(_ question: Confirmation, late: Bool) {
        dispatch(late ? .questionTooLate(question) : .askToConfirm(question))
    }

    /// Whether the current plan's quantized model and exact result are in.
    private var hasExactResult: Bool {
        state.evaluation.exact != nil && state.quantized?.plan == state.plan
    }

    /// Performs `effect` once the current plan's exact result is in, saying so meanwhile.
    private func waitForExact(_ effect: Effect, doing what: String) {
        waitingForExact.append((effect, state.evaluation.generation))
        state.message = StatusMessage("\(what) once the exact result is in (see the Accuracy pane)")
        needsRedraw = true
    }

    /// One line for an engine error.
    static func describe(_ error: Error) -> String {
        String(describing: error)
    }
}

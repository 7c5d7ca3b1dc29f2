import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The dashboard's interactions as data: keys in, state and effects out.
@Suite struct ReducerTests {
    static func layer(_ name: String, _ shape: [Int]) -> Layer {
        Layer(
            name: name, nodeIndex: 0, opName: "Gemm", weightName: "\(name).weight", biasName: nil,
            weightShape: shape, outputChannelAxis: 0, weightCount: shape.reduce(1, *), biasCount: 0)
    }

    static func state(layers: Int = 3) -> AppState {
        var state = AppState(
            layers: (1...layers).map { layer("fc\($0)", [10, 10]) }, modelName: "demo-mlp", dataName: "demo")
        for layer in state.layers { state.maxMagnitudes[layer.name] = 0.5 }
        return state
    }

    @discardableResult
    static func press(_ keys: [Key], _ state: inout AppState) -> [Effect] {
        keys.flatMap { Reducer.reduce(&state, key: $0) }
    }

    @Test func arrowsAndVimKeysMoveTheSelectionWithinBounds() {
        var state = Self.state()
        Self.press([.down, .character("j"), .down, .down], &state)
        #expect(state.selectedIndex == 2)
        Self.press([.up, .character("k"), .character("k")], &state)
        #expect(state.selectedIndex == 0)
        Self.press([.end], &state)
        #expect(state.selectedIndex == 2)
        Self.press([.home], &state)
        #expect(state.selectedIndex == 0)
    }

    @Test func scrollingKeepsTheSelectionVisible() {
        var state = Self.state(layers: 40)
        state.screenSize = Size(width: 80, height: 24)
        let visible = DashboardLayout.tableRows(for: state.screenSize, layerCount: 40)
        #expect(visible == 5)
        Self.press(Array(repeating: .down, count: 12), &state)
        #expect(state.selectedIndex == 12)
        #expect(state.scrollOffset == 12 - visible + 1)
        Self.press([.pageDown], &state)
        #expect(state.selectedIndex == 17)
        Self.press([.home], &state)
        #expect(state.scrollOffset == 0)
    }

    @Test func bitWidthKeysEditTheSelectedLayerAndRequestRequantization() {
        var state = Self.state()
        let effects = Self.press([.character("4")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidth == 4)
        #expect(state.plan.settings(for: "fc2").bitWidth == nil)
        #expect(effects == [.apply(state.plan, generation: 1), .autosave])
        #expect(state.hasUnsavedChanges)
        Self.press([.character("+"), .character("+")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidth == 6)
        Self.press([.character("-")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidth == 5)
        #expect(state.evaluation.generation == 4)
    }

    @Test func plusFromFloatStartsAtEightBitsAndLimitsAreExplained() {
        var state = Self.state()
        Self.press([.character("+")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidth == 8)
        Self.press([.character("1")], &state)
        // Symmetric cannot store 1 bit: the edit is refused with a reason, the plan unchanged.
        #expect(state.plan.settings(for: "fc1").bitWidth == 8)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.contains("1-bit") == true)
    }

    @Test func schemeCycleClampsBitWidthToTheFormat() {
        var state = Self.state()
        Self.press([.character("4")], &state)
        var seen: [Scheme] = []
        for _ in Scheme.allCases {
            Self.press([.character("s")], &state)
            let settings = state.plan.settings(for: "fc1")
            seen.append(settings.scheme)
            #expect(settings.scheme.allowedBitWidths.contains(settings.bitWidth ?? 0))
        }
        #expect(Set(seen) == Set(Scheme.allCases))
        #expect(state.plan.settings(for: "fc1").scheme == .symmetric)
    }

    @Test func granularityCycles() {
        var state = Self.state()
        // The default is per channel; g goes on to groups, then per tensor.
        Self.press([.character("g")], &state)
        #expect(state.plan.settings(for: "fc1").granularity == .group(size: 32))
        #expect(state.plan.settings(for: "fc1").bitWidth == 8)
        Self.press([.character("g")], &state)
        #expect(state.plan.settings(for: "fc1").granularity == .group(size: 64))
        Self.press([.character("g"), .character("g")], &state)
        #expect(state.plan.settings(for: "fc1").granularity == .tensor)
        // A preset's group size outside the cycle goes on to the next larger one, never lost silently.
        state.plan.layers["fc1"] = LayerSettings(bitWidth: 4, granularity: .group(size: 48))
        Self.press([.character("g")], &state)
        #expect(state.plan.settings(for: "fc1").granularity == .group(size: 64))
    }

    @Test func pruningStepsAreRoundAndFineOrCoarse() {
        #expect(Reducer.pruningStep(maxMagnitude: 0.5) == 0.005)
        #expect(Reducer.pruningStep(maxMagnitude: 0.31) == 0.002)
        var state = Self.state()
        Self.press([.character("]"), .character("]")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .threshold(0.01))
        Self.press([.character("}")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .threshold(0.06))
        Self.press([.character("{"), .character("[")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .threshold(0.005))
        Self.press([.character("[")], &state)
        #expect(state.plan.settings(for: "fc1").pruning == nil)
    }

    @Test func typedThresholdAndSparsity() {
        var state = Self.state()
        Self.press([.character("t")] + "0.025".map { .character($0) } + [.enter], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .threshold(0.025))
        Self.press([.character("p")] + "50%".map { .character($0) } + [.enter], &state)
        #expect(state.plan.settings(for: "fc1").pruning == .sparsity(0.5))
        Self.press([.character("t"), .character("x"), .enter], &state)
        // Refused: the prompt stays open with the error, the plan is unchanged.
        guard case .prompt(let prompt) = state.overlay else {
            Issue.record("the prompt closed on bad input")
            return
        }
        #expect(prompt.error == "'x' is not a threshold (a number ≥ 0, e.g. 0.02)")
        #expect(state.plan.settings(for: "fc1").pruning == .sparsity(0.5))
    }

    @Test func marksMakeEditsApplyToEveryMarkedLayer() {
        var state = Self.state()
        Self.press([.character(" "), .down, .down, .character(" "), .character("3")], &state)
        #expect(state.plan.settings(for: "fc1").bitWidth == 3)
        #expect(state.plan.settings(for: "fc2").bitWidth == nil)
        #expect(state.plan.settings(for: "fc3").bitWidth == 3)
        Self.press([.character("*"), .character("a")], &state)
        #expect(state.layers.allSatisfy { state.plan.settings(for: $0.name).activationBits == 8 })
        Self.press([.character("*")], &state)
        #expect(state.marked.isEmpty)
    }

    @Test func undoAndRedoWithoutLimit() {
        var state = Self.state()
        Self.press([.character("8"), .character("-"), .character("-"), .character("s")], &state)
        let final = state.plan
        Self.press(Array(repeating: .character("u"), count: 4), &state)
        #expect(state.plan == QuantPlan())
        Self.press([.character("u")], &state)
        #expect(state.message?.text == "nothing to undo")
        Self.press(Array(repeating: .character("r"), count: 4), &state)
        #expect(state.plan == final)
        Self.press([.character("u"), .character("4")], &state)
        #expect(state.redoStack.isEmpty)
    }

    @Test func resetToFloatAndStaleResultsAreDropped() {
        var state = Self.state()
        Self.press([.character("4")], &state)
        let generation = state.evaluation.generation
        Self.press([.character("f")], &state)
        #expect(state.plan.settings(for: "fc1") == .float)
        let stale = EvalReport.sample(top1: 0.5, isExact: true)
        _ = Reducer.reduce(&state, .evaluationFinished(generation: generation, report: stale))
        #expect(state.evaluation.exact == nil)
        let progress = EngineProgress(phase: .evaluating, done: 400, total: 1000, elapsedSeconds: 2)
        _ = Reducer.reduce(&state, .evaluationProgress(generation: state.evaluation.generation, progress: progress))
        #expect(state.evaluation.progress == 0.4)
        #expect(state.evaluation.progressDetail == progress)
        _ = Reducer.reduce(&state, .evaluationProgress(generation: -1, progress: progress))
        #expect(state.evaluation.baselineProgress == progress)
        let fresh = EvalReport.sample(top1: 0.9, isExact: true)
        _ = Reducer.reduce(&state, .evaluationFinished(generation: state.evaluation.generation, report: fresh))
        #expect(state.evaluation.exact == fresh)
        #expect(state.evaluation.progress == nil)
        #expect(state.accuracyHistory == [0.9])
    }

    @Test func quittingAsksWhenThereAreUnsavedChanges() {
        var state = Self.state()
        #expect(Self.press([.character("q")], &state) == [.discardOwnAutosave, .quit])
        state = Self.state()
        Self.press([.character("4"), .character("q")], &state)
        #expect(state.overlay == .confirm(.quitWithUnsavedChanges))
        #expect(Self.press([.escape], &state).isEmpty)
        #expect(state.overlay == nil && !state.shouldQuit)
        Self.press([.control("c")], &state)
        #expect(Self.press([.character("n")], &state) == [.discardOwnAutosave, .quit])
        #expect(state.shouldQuit)
    }

    @Test func answeringSaveWhenQuittingSavesThenQuits() {
        var state = Self.state()
        Self.press([.character("4"), .character("q"), .character("y")], &state)
        #expect(state.overlay == .prompt(Prompt(.saveName)))
        let effects = Self.press("int4".map { .character($0) } + [.enter], &state)
        #expect(effects == [.save(name: "int4", overwrite: .never)])
        #expect(Reducer.reduce(&state, .saved(name: "int4", message: "saved")) == [.quit])
        #expect(state.sessionName == "int4" && !state.hasUnsavedChanges)
    }

    @Test func helpOverlayCapturesKeys() {
        var state = Self.state()
        Self.press([.character("?")], &state)
        #expect(state.overlay == .help(offset: 0))
        Self.press([.character("4"), .down], &state)
        #expect(state.plan == QuantPlan())
        #expect(state.overlay == .help(offset: 1))
        Self.press([.escape], &state)
        #expect(state.overlay == nil)
    }

    @Test func exportDialogAsksFormatThenPath() {
        var state = Self.state()
        Self.press([.character("e"), .enter], &state)
        // The default name is the session's (here: the model's), in the working folder.
        #expect(state.overlay == .prompt(Prompt(.exportPath(.config), text: "demo-mlp-config.json", folder: ".")))
        let effects = Self.press([.enter], &state)
        #expect(effects == [.export(.config, path: "demo-mlp-config.json", overwrite: false)])
    }

    @Test func keymapHelpAndHintsComeFromTheSameTable() {
        let keymap = Keymap.standard
        let described = keymap.helpSections.flatMap(\.entries).map(\.keys)
        #expect(described.contains("↑/k"))
        #expect(described.contains("1-8"))
        #expect(keymap.hints.map(\.label).contains("quit"))
        #expect(keymap.action(for: .character("5")) == .setBitWidth(5))
        #expect(keymap.action(for: .character("9")) == nil)
        // No key is bound twice.
        let keys = keymap.bindings.flatMap(\.keys)
        #expect(Set(keys).count == keys.count)
    }
}

extension EvalReport {
    /// A report with the given top-1 for reducer tests.
    static func sample(top1: Double, isExact: Bool) -> EvalReport {
        EvalReport(
            top1: top1, top5: 1, meanNLL: 0.1, agreement: nil, count: 100, correctCount: Int(top1 * 100),
            top5CorrectCount: 100, predictions: [], top1Interval: (top1 - 0.05)...(top1 + 0.05), isExact: isExact)
    }
}

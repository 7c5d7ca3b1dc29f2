import Foundation
import Testing

@testable import QuantCore
@testable import QuantTUI

/// Issue 18.1–2 in the dashboard: `i` turns integer mode on; each plan then also runs as an int8
/// integer model in the background, and the panes show its top-1, how many predictions differ,
/// its speed against float (Size pane, layer table), or why the plan has no int8 form.
@Suite struct IntegerModeTests {
    static func profile(floatMs: Double, integerMs: Double, layers: [String]) -> LatencyProfile {
        LatencyProfile(
            float: .init(msPerImage: floatMs, batchMsPerImage: floatMs / 2),
            integer: .init(msPerImage: integerMs, batchMsPerImage: integerMs / 2),
            layers: layers.map {
                .init(name: $0, floatMs: floatMs / 4, integerMs: integerMs / 4, batchFloatMs: 0, batchIntegerMs: 0)
            }, runs: 5, batchSize: 32)
    }

    static func evaluation(correct: Int, differing: Int) throws -> IntegerEvaluation {
        IntegerEvaluation(
            count: 1000, correct: correct, fakeQuantizedCorrect: correct + differing, differingPredictions: differing,
            maxOutputSteps: 1,
            inputQuantization: try ActivationQuantization(scale: 1 / 255, bitWidth: 8, isSigned: false),
            kernel: "avx2")
    }

    @Test func iTurnsTheModeOnAndEveryPlanThenAlsoRunsAsIntegers() {
        var state = ReducerTests.state(layers: 2)
        var effects = ReducerTests.press([.character("i")], &state)
        #expect(state.integer.isEnabled)
        #expect(effects == [.startInteger(state.plan, generation: state.evaluation.generation)])
        effects = ReducerTests.press([.character("8")], &state)
        #expect(effects.contains(.apply(state.plan, generation: state.evaluation.generation)))
        #expect(effects.contains(.startInteger(state.plan, generation: state.evaluation.generation)))
        effects = ReducerTests.press([.character("i")], &state)
        #expect(!state.integer.isEnabled)
        #expect(effects == [.cancelInteger])
        effects = ReducerTests.press([.character("4")], &state)
        #expect(!effects.contains { if case .startInteger = $0 { true } else { false } })
    }

    @Test func onlyTheCurrentPlansResultIsKept() throws {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("i"), .character("8")], &state)
        let current = state.evaluation.generation
        let stale = IntegerRunner.Result(generation: current - 1, outcome: .refused("old plan"))
        _ = Reducer.reduce(&state, .integerMeasured(stale))
        #expect(state.integer.result == nil)
        let measured = IntegerRunner.Outcome.measured(
            try Self.evaluation(correct: 976, differing: 1), Self.profile(floatMs: 0.4, integerMs: 0.2, layers: []))
        _ = Reducer.reduce(&state, .integerMeasured(IntegerRunner.Result(generation: current, outcome: measured)))
        #expect(state.integer.outcome(for: current) == measured)
        ReducerTests.press([.character("4")], &state)  // a new plan: the old figure is not shown as its own
        #expect(state.integer.outcome(for: state.evaluation.generation) == nil)
    }

    @Test func panesShowTheSpeedTopOneAndDifferences() throws {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("i")], &state)
        #expect(IntegerModeText.sizeRow(state, glyphs: .unicode)?.first?.text == "timing the int8 model…")
        let profile = Self.profile(floatMs: 0.399, integerMs: 0.21, layers: ["fc1", "fc2"])
        let outcome = IntegerRunner.Outcome.measured(try Self.evaluation(correct: 976, differing: 3), profile)
        _ = Reducer.reduce(
            &state, .integerMeasured(IntegerRunner.Result(generation: state.evaluation.generation, outcome: outcome)))
        let row = try #require(IntegerModeText.sizeRow(state, glyphs: .unicode)).map(\.text).joined()
        #expect(row == String(format: "%.2f× faster than float, 0.210 ms per image", 0.399 / 0.21))
        let ascii = try #require(IntegerModeText.sizeRow(state, glyphs: .ascii)).map(\.text).joined()
        #expect(ascii.contains("x faster") && !ascii.contains("×"))
        let line = try #require(IntegerModeText.accuracyLine(state, isCompact: false)).0
        #expect(line == "integer   top-1  97.60 %  3 of 1000 differ")
        // The layer table gains the two latency columns, filled from the profile.
        let table = LayerTablePane(state: state, glyphs: .unicode).table(width: 200)
        #expect(table.columns.contains { $0.title == "int ms" } && table.columns.contains { $0.title == "×float" })
        let column = try #require(table.columns.firstIndex { $0.title == "int ms" })
        #expect(table.rows.map { $0[column] } == ["0.0525", "0.0525"])
        state.integer.isEnabled = false
        let plain = LayerTablePane(state: state, glyphs: .unicode).table(width: 200)
        #expect(!plain.columns.contains { $0.title == "int ms" })
    }

    @Test func aPlanWithoutAnInt8FormSaysWhyInOneLine() {
        var state = ReducerTests.state(layers: 2)
        ReducerTests.press([.character("i")], &state)
        let reason =
            "layer fc1 keeps float weights (integer execution needs 8-bit symmetric weights and 8-bit activations)"
        _ = Reducer.reduce(
            &state,
            .integerMeasured(IntegerRunner.Result(generation: state.evaluation.generation, outcome: .refused(reason))))
        #expect(IntegerModeText.sizeRow(state, glyphs: .unicode)?.map(\.text).joined() == "not int8: " + reason)
        #expect(IntegerModeText.accuracyLine(state, isCompact: true)?.0 == "int    not int8: " + reason)
        #expect(state.message?.text == "integer mode: not int8: " + reason)
    }

    @Test func theDashboardRunsTheInt8PlanInTheBackgroundAndDrawsIt() throws {
        let (app, backend) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("i")], app)
        app.settleInteger()
        app.render()
        var screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("not int8: layer fc1 keeps float weights"), "\(screen)")
        // Every layer 8-bit (symmetric per channel) with 8-bit activations: an int8 plan.
        DashboardAppTests.press([.character("*"), .character("8"), .character("a")], app)
        app.settleInteger()
        app.render()
        screen = backend.screen.lines.joined(separator: "\n")
        guard case .measured(let evaluation, let profile) = app.state.integer.result?.outcome else {
            Issue.record("no integer result: \(String(describing: app.state.integer.result))\n\(screen)")
            return
        }
        #expect(app.state.integer.result?.generation == app.state.evaluation.generation)
        #expect(evaluation.count == 1000)
        #expect(profile.layers.map(\.name) == app.state.layers.map(\.name))
        #expect(screen.contains(String(format: "integer   top-1 %6.2f %%", evaluation.top1 * 100)), "\(screen)")
        #expect(screen.contains("than float, ") && screen.contains(" ms per image"), "\(screen)")
        #expect(screen.contains("int ms"), "\(screen)")
        app.stop()
    }

    @Test func theKeyIsInTheHelp() {
        let keys = Keymap.standard.bindings.flatMap(\.keys)
        #expect(keys.filter { $0 == .character("i") }.count == 1, "i is bound once")
        let help = Keymap.standard.helpSections.flatMap(\.entries)
        #expect(help.contains { $0.keys == "i" && $0.description.hasPrefix("integer mode on/off") })
    }
}

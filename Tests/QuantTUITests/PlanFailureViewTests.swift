import QuantCore
import Testing

@testable import QuantTUI

/// A plan the engine refuses (8-bit activations without calibration data) is said where its
/// histogram would be, instead of "quantizing…" waiting for a result that will not come; the
/// next plan takes its place.
@Suite struct PlanFailureViewTests {
    func screen(_ state: AppState) -> String {
        var buffer = ScreenBuffer(size: state.screenSize)
        DashboardView().render(
            state, capabilities: TerminalCapabilities(hasColor: true, isUnicode: true), into: &buffer)
        return buffer.lines.joined(separator: "\n")
    }

    @Test func aRefusedPlanIsSaidInTheHistogramPaneUntilThePlanChanges() {
        var state = ReducerTests.state()
        state.screenSize = Size(width: 120, height: 40)
        ReducerTests.press([.character("a")], &state)  // 8-bit activations on fc1
        let message = "demo-mlp: activation quantization needs calibration data from the training split (--calibration)"
        _ = Reducer.reduce(&state, .planFailed(message))
        #expect(state.planFailure == PlanFailure(plan: state.plan, message: message))
        let refused = screen(state)
        #expect(refused.contains("not applied: demo-mlp: activation quantization needs"))
        #expect(!refused.contains("quantizing…"))
        ReducerTests.press([.character("a")], &state)  // back: a new plan is underway
        #expect(screen(state).contains("quantizing…"))
        #expect(!screen(state).contains("not applied"))
    }
}

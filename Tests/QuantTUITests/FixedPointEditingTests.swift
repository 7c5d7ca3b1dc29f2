import Foundation
import QuantCore
import Testing

@testable import QuantTUI

/// The fixed-point scheme on the dashboard: `s` reaches it, `n`/`N` set its fraction bits from the
/// data-derived default, the table shows them, and leaving the scheme drops them.
@Suite struct FixedPointEditingTests {
    static func press(_ keys: [Key], _ state: inout AppState) {
        _ = keys.flatMap { Reducer.reduce(&state, key: $0) }
    }

    static func fixedPointState() -> AppState {
        var state = ReducerTests.state()  // every layer's largest |w| is 0.5
        press([.character("8")], &state)
        while state.plan.settings(for: "fc1").scheme != .fixedPoint { press([.character("s")], &state) }
        return state
    }

    @Test func fractionBitsStartFromTheDefaultAndShowInTheTable() {
        var state = Self.fixedPointState()
        let settings = state.plan.settings(for: "fc1")
        #expect(settings.bitWidth == 8 && settings.fractionBits == nil)
        #expect(settings.schemeLabel == "fixed n=auto")
        // max |w| 0.5 at 8 bits: 0.5 · 2^8 = 128 > 127, 0.5 · 2^7 = 64 fits → default n = 7.
        let start = FixedPointQuantizer.defaultFractionBits(maxMagnitude: 0.5, bitWidth: 8)
        #expect(start == 7)
        Self.press([.character("n")], &state)
        #expect(state.plan.settings(for: "fc1").fractionBits == start + 1)
        Self.press([.character("N"), .character("N"), .character("N")], &state)
        #expect(state.plan.settings(for: "fc1").fractionBits == start - 2)
        #expect(state.plan.settings(for: "fc1").schemeLabel == "fixed n=\(start - 2)")
        // Other layers are untouched; undo goes back one step.
        #expect(state.plan.settings(for: "fc2").fractionBits == nil)
        Self.press([.character("u")], &state)
        #expect(state.plan.settings(for: "fc1").fractionBits == start - 1)
    }

    @Test func leavingTheSchemeDropsTheFractionBitsAndOtherSchemesRefuseTheKey() throws {
        var state = Self.fixedPointState()
        Self.press([.character("n")], &state)
        #expect(state.plan.settings(for: "fc1").fractionBits != nil)
        Self.press([.character("s")], &state)
        let settings = state.plan.settings(for: "fc1")
        #expect(settings.scheme != .fixedPoint && settings.fractionBits == nil)
        // The plan stays valid for the file (a stale fractionBits would be refused on save).
        _ = try JSONEncoder().encode(state.plan)
        let before = state.plan
        Self.press([.character("n")], &state)
        #expect(state.plan == before)
        #expect(state.message?.isError == true)
    }
}

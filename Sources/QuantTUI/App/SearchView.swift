import Foundation
import QuantCore

/// The guided search's dialog (`F`): the goal, what runs, the best plan so far with its
/// validation figure, and its held-out figure once measured, kept apart.
///
/// ```
/// ┌─ Fit to accuracy budget: smallest plan with drop ≤ 1 pt ─────┐
/// │ search · 14 plans verified (refining)                          │
/// │ best so far  53.7 KiB (17.1×)                                  │
/// │   validation  top-1 96.40 %  Δ -0.6 pt [-1.3, +0.1]            │
/// │   held-out    top-1 96.10 %  Δ -0.8 pt [-1.5, -0.1]            │
/// │ Enter apply best (one edit, u undoes) · Esc cancel · q hide     │
/// ```
enum SearchView {
    /// The dialog for the state's search.
    static func dialog(_ state: AppState, glyphs: GlyphSet) -> DialogView {
        let search = state.search
        let isRunning = search.map { !$0.isFinished } ?? false
        let title =
            switch search?.goal {
            case .maxDrop(let points)?: "Fit to accuracy budget: smallest plan with drop ≤ \(Budgets.short(points)) pt"
            case .targetBytes(let bytes)?: "Fit to size budget: most accurate plan ≤ \(Formatting.bytes(bytes))"
            case nil: "Fit to a budget"
            }
        let footer =
            isRunning
            ? "Enter apply best so far · Esc cancel (keeps best) · q hide"
            : "Enter apply best (one edit, u undoes) · Esc close"
        return DialogView(
            title: title, lines: lines(state).map(glyphs.text), footer: footer, maximumWidth: 84, glyphs: glyphs)
    }

    /// The dialog's lines.
    static func lines(_ state: AppState) -> [String] {
        guard let search = state.search else { return ["no search yet"] }
        var lines: [String] = []
        var step = search.step
        if let fraction = search.fraction, !search.isFinished {
            step += String(format: " (%d %%)", Int((fraction * 100).rounded()))
        }
        lines.append(step)
        if let error = search.error { lines.append("! \(error)") }
        guard let best = search.best else {
            lines.append(
                search.isFinished ? "no plan within the budget found" : "best so far: none within the budget yet")
            return lines
        }
        let ratio =
            (state.quantized?.size.floatBytes).map {
                String(format: " (%.1f×)", Double($0) / Double(max(best.bytes, 1)))
            } ?? ""
        lines.append((search.isFinished ? "best plan  " : "best so far  ") + Formatting.bytes(best.bytes) + ratio)
        lines.append(
            String(format: "  validation  top-1 %6.2f %%  ", best.top1 * 100) + DeltaFigures.text(best.delta)
                + (best.delta.isSignificant ? "" : "  within noise"))
        if let heldOut = search.heldOut {
            lines.append(
                String(format: "  held-out    top-1 %6.2f %%  ", heldOut.top1 * 100) + DeltaFigures.text(heldOut.delta)
                    + (heldOut.delta.isSignificant ? "" : "  within noise"))
        } else {
            lines.append(
                search.isFinished
                    ? "  held-out    not measured (cancelled): applying it evaluates it"
                    : "  held-out    measured when the search ends (never used to choose)")
        }
        return lines
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The guided search (`F`) and the Pareto view (`P`) in the dashboard (issue 14.4, 14.5), on
/// the demo MLP.
@Suite struct SearchParetoTests {
    static func type(_ text: String) -> [Key] { text.map { .character($0) } }

    @Test func fitToSizeBudgetFindsAPlanWithinItAndAppliesItAsOneEdit() throws {
        let (app, backend) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("b")] + Self.type("6x") + [.enter], app)
        let before = app.state.plan
        let undoDepth = app.state.undoStack.count
        // F, then the second goal: fit to size budget.
        DashboardAppTests.press([.character("F"), .down, .enter], app)
        #expect(app.state.overlay == .search)
        app.settleSearch()
        app.render()
        let search = try #require(app.state.search)
        #expect(search.isFinished && !search.wasCancelled && search.error == nil)
        let floatBytes = try #require(app.state.quantized?.size.floatBytes)
        guard case .targetBytes(let limit) = search.goal else { Issue.record("goal \(search.goal)"); return }
        #expect(limit == floatBytes / 6)
        let best = try #require(search.best)
        #expect(best.bytes <= limit)
        // The validation figure (what it chose by) and the held-out figure, shown apart.
        let heldOut = try #require(search.heldOut)
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains(String(format: "validation  top-1 %6.2f %%", best.top1 * 100)), "\(screen)")
        #expect(screen.contains(String(format: "held-out    top-1 %6.2f %%", heldOut.top1 * 100)), "\(screen)")
        // Every verified plan is a point of the Pareto view.
        #expect(app.state.planPoints.filter { $0.source == .validation }.count >= 1)

        DashboardAppTests.press([.enter], app)
        #expect(app.state.plan == best.plan)
        #expect(app.state.undoStack.count == undoDepth + 1)
        // The exact held-out result of the applied plan is the one the search measured.
        let exact = try #require(app.state.evaluation.exact)
        #expect(abs(exact.top1 - heldOut.top1) < 1e-9)
        #expect(try #require(app.state.quantized).size.currentBytes == best.bytes)
        DashboardAppTests.press([.character("u")], app)
        #expect(app.state.plan == before)
    }

    @Test func aGoalWithoutItsBudgetIsRefusedAndEscCancelsKeepingTheSearchState() throws {
        let (app, _) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("F"), .enter], app)
        #expect(app.state.search == nil)
        #expect(app.state.message?.text.contains("accuracy budget") == true)
        #expect(app.state.message?.isError == true)

        DashboardAppTests.press([.character("b")] + Self.type("0.5pt") + [.enter], app)
        app.handle(.key(.character("F")))
        app.handle(.key(.enter))
        app.handle(.key(.escape))
        app.settleSearch()
        let search = try #require(app.state.search)
        #expect(search.isFinished && search.wasCancelled)
        #expect(search.goal == .maxDrop(points: 0.5))
        // The view stays open after a cancel; Esc again closes it.
        #expect(app.state.overlay == .search)
        DashboardAppTests.press([.escape], app)
        #expect(app.state.overlay == nil)
    }

    @Test func paretoViewMarksTheFrontAndMakesAChosenPointCurrent() throws {
        let (app, backend) = try DashboardAppTests.app(size: Size(width: 80, height: 24))
        for key in ["8", "4", "2"] { DashboardAppTests.press([.character(Character(key))], app) }
        let points = app.state.planPoints
        #expect(points.count >= 3)
        // The front: no other point is at most as large and more accurate (or smaller and as accurate).
        let front = ParetoFront.front(points)
        for (index, point) in points.enumerated() {
            let beaten = points.contains {
                ($0.bytes <= point.bytes && $0.accuracy > point.accuracy)
                    || ($0.bytes < point.bytes && $0.accuracy >= point.accuracy)
            }
            #expect(front.contains(index) == !beaten, "point \(index): \(point.bytes) B \(point.accuracy)")
        }
        DashboardAppTests.press([.character("P")], app)
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("Plans evaluated"), "\(screen)")
        #expect(screen.contains("current"))
        // The smallest plan: left until it stops moving, then Enter.
        DashboardAppTests.press(Array(repeating: .left, count: points.count), app)
        let smallest = try #require(ParetoFront.orderBySize(points).first)
        #expect(app.state.overlay == .pareto(selected: smallest))
        let before = app.state.plan
        DashboardAppTests.press([.enter], app)
        #expect(app.state.plan == points[smallest].plan || points[smallest].plan == before)
        if points[smallest].plan != before {
            DashboardAppTests.press([.character("u")], app)
            #expect(app.state.plan == before)
        }
    }

    @Test func theHistoryHasAxesAndTheFloatLine() throws {
        let (app, backend) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("2"), .character("4")], app)
        let float = try #require(app.state.floatAccuracy).top1
        let lowest = try #require(app.state.accuracyHistory.min())
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains(String(format: "%5.1f", max(float, app.state.accuracyHistory.max() ?? 0) * 100)))
        #expect(screen.contains(String(format: "%5.1f", min(lowest, float) * 100)))
        #expect(screen.contains("┈"), "\(screen)")
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// Budgets and noise in the dashboard (issue 14.3): Δ with its paired interval, the budget
/// dialog, the panes drawing the budgets green or red, and presets keeping them.
@Suite struct BudgetDialogTests {
    static func type(_ text: String) -> [Key] { text.map { .character($0) } }

    @Test func deltaShowsItsPairedIntervalAndSaysWhenItIsNoise() throws {
        let (app, backend) = try DashboardAppTests.app()
        for bits in ["8", "2"] {
            DashboardAppTests.press([.character(Character(bits))], app)
            let float = try #require(app.state.floatAccuracy)
            let exact = try #require(app.state.evaluation.exact)
            let labels = app.workbench.heldOut.labels
            let paired = PairedDifference(
                baseline: zip(float.predictions, labels).map { $0 == $1 },
                candidate: zip(exact.predictions, labels).map { $0 == $1 })
            #expect(abs(paired.delta - (exact.top1 - float.top1)) < 1e-9)
            #expect(paired.interval.contains(paired.delta))
            let screen = backend.screen.lines.joined(separator: "\n")
            let interval = String(
                format: "[%+.1f, %+.1f]", paired.interval.lowerBound * 100, paired.interval.upperBound * 100)
            #expect(screen.contains(String(format: "Δ %+.1f pt ", paired.delta * 100) + interval), "\(screen)")
            #expect(screen.contains("within noise") == !paired.isSignificant, "\(bits)-bit:\n\(screen)")
        }
        // fc1 at 2 bits loses far more than the noise of 1000 images.
        #expect(!backend.screen.lines.joined().contains("within noise"))
    }

    @Test func theDialogSetsBudgetsThePanesDrawGreenOrRed() throws {
        let (app, backend) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("4")], app)
        let float = try #require(app.state.floatAccuracy)
        let exact = try #require(app.state.evaluation.exact)
        let model = try #require(app.state.quantized)
        let drop = (float.top1 - exact.top1) * 100
        // A drop budget just under the plan's drop and a size budget just over its size.
        let points = max(drop - 0.5, 0)
        let bytes = model.size.currentBytes + 100
        DashboardAppTests.press([.character("b")] + Self.type("\(points)pt \(bytes)B") + [.enter], app)
        #expect(app.state.overlay == nil)
        #expect(app.state.budgets == Budgets(accuracy: .maxDrop(points: points), size: .bytes(bytes)))
        let lines = backend.screen.lines
        let accuracyRow = try #require(lines.firstIndex { $0.contains("budget    drop ≤") })
        let isOver = drop > points + 1e-9
        #expect(lines[accuracyRow].contains(isOver ? "over by" : "within"), "\(lines[accuracyRow])")
        let sizeRow = try #require(lines.firstIndex { $0.contains("budget ≤ ") })
        #expect(lines[sizeRow].contains(": within"))
        // Colours: the cells of the verdicts.
        let accuracyColumn = try #require(lines[accuracyRow].range(of: "budget    drop")).lowerBound
        let column = lines[accuracyRow].distance(from: lines[accuracyRow].startIndex, to: accuracyColumn)
        #expect(backend.screen[column, accuracyRow].style.foreground == (isOver ? Color.red : Color.green))

        // A size budget the plan misses turns red; a bad line keeps the dialog open with the reason.
        DashboardAppTests.press([.character("b"), .control("u")] + Self.type("2x 3bpw") + [.enter], app)
        #expect(app.state.overlay != nil)
        guard case .prompt(let prompt) = app.state.overlay else { Issue.record("no prompt"); return }
        #expect(prompt.error?.contains("second size budget") == true)
        DashboardAppTests.press([.control("u")] + Self.type("1B") + [.enter], app)
        #expect(app.state.budgets == Budgets(size: .bytes(1)))
        let over = backend.screen.lines.first { $0.contains("budget ≤ 1 B") }
        #expect(over?.contains("over by") == true, "\(backend.screen.lines.joined(separator: "\n"))")
    }

    @Test func theSizeVerdictStaysWholeAt80x24() throws {
        let (app, backend) = try DashboardAppTests.app(size: Size(width: 80, height: 24))
        DashboardAppTests.press([.character("4"), .character("b")] + Self.type("1pt 8x") + [.enter], app)
        let model = try #require(app.state.quantized)
        let limit = try #require(app.state.budgets.byteLimit(floatBytes: model.size.floatBytes, parameters: 0))
        let excess = Formatting.bytes(model.size.currentBytes - limit)
        let lines = backend.screen.lines
        // Words go before the figure: the row says by how much the plan is over, uncut.
        let row = try #require(lines.first { $0.contains("≥ 8×") }, "\(lines.joined(separator: "\n"))")
        #expect(row.contains("over \(excess)") || row.contains("over by \(excess)"), "\(row)")
        #expect(lines.allSatisfy { $0.count <= 80 })
    }

    @Test func presetsKeepTheBudgets() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (app, _) = try DashboardAppTests.app(folder: folder)
        DashboardAppTests.press(
            [.character("4"), .character("b")] + Self.type("0.5pt 3.5bpw") + [.enter, .character("w")]
                + Self.type("tight") + [.enter], app)
        let saved = try SessionStore(folder: folder).load(named: "tight")
        #expect(saved.budgets == Budgets(accuracy: .maxDrop(points: 0.5), size: .bitsPerWeight(3.5)))
        DashboardAppTests.press([.character("b"), .control("u"), .enter], app)
        #expect(app.state.budgets.isEmpty)
        DashboardAppTests.press([.character("o"), .enter], app)
        #expect(app.state.budgets == saved.budgets)
    }
}

import Foundation
import QuantCore
import Testing

@testable import QuantTUI

/// The Size pane (issue 15.8, 15.15): which format its figure is for, the QDQ ONNX size, and at
/// 80×24 a bar for every layer (scrolling with the selection).
@Suite struct SizePaneTests {
    @Test func itNamesTheCExportAndShowsTheQDQSize() throws {
        let (app, backend) = try DashboardAppTests.app()
        DashboardAppTests.press([.character("4")], app)
        let screen = backend.screen.lines.joined(separator: "\n")
        let model = try #require(app.state.quantized)
        #expect(screen.contains("Size (C export)"))
        #expect(screen.contains("QDQ ONNX \(Formatting.bytes(model.qdqTensorBytes))"), "\(screen)")
        // The precision loss δ = 1 − b/32 next to the ratio, from the plan's mean stored bits.
        let delta = String(format: "δ %.1f %%", (1 - model.size.meanValueBitWidth / 32) * 100)
        #expect(screen.contains("smaller · \(delta)"), "\(screen)")
        // fc1's 4-bit codes are int4 in the ONNX file, the other layers float32.
        #expect(model.qdqTensorBytes < model.size.floatBytes)
    }

    @Test func at80x24EveryLayersBarIsReachable() throws {
        let (app, backend) = try DashboardAppTests.app(size: Size(width: 80, height: 24))
        DashboardAppTests.press([.character("4")], app)
        let names = app.state.layers.map(\.name)
        for (index, name) in names.enumerated() {
            if index > 0 { DashboardAppTests.press([.down], app) }
            let sizeRows = backend.screen.lines.filter { $0.contains("│ \(name) ") && $0.contains("%") }
            #expect(!sizeRows.isEmpty, "no size bar for \(name):\n\(backend.screen.lines.joined(separator: "\n"))")
        }
        let screen = backend.screen.lines.joined(separator: "\n")
        #expect(screen.contains("QDQ ONNX") && screen.contains("sparsity"))
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The report stays well-formed Markdown whatever the names and settings hold, and its
/// Reproduce line reproduces (issue 15.5).
@Suite struct ReportEscapingTests {
    @Test func pipesInCellsAreEscapedAndControlCharactersCannotStartLines() {
        #expect(ReportExporter.tableCell("|w| ≤ 0.04") == #"\|w\| ≤ 0.04"#)
        #expect(ReportExporter.inline("fc1\n## injected\u{1B}[2J") == #"fc1\n## injected\u{1B}[2J"#)
        #expect(ReportExporter.code("a`b") == "`` a`b ``")
        #expect(ReportExporter.code("plain") == "`plain`")
    }

    @Test func aThresholdPrunedLayerKeepsTheTableColumnsAndTheReproduceLineEmbedsThePlan() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workbench = try Workbench(
            graph: try ONNXModel.load(contentsOf: BundledModel.mlp.url), heldOut: try DemoData.heldOutSet(),
            calibration: try DemoData.trainingSet().evenlySpaced(64))
        let plan = QuantPlan(
            defaults: LayerSettings(), layers: ["fc1": LayerSettings(bitWidth: 4, pruning: .threshold(0.04))])
        let out = folder.appendingPathComponent("report.md")
        let arguments = ["quantdash", "eval", "--model", "demo-mlp", "--data", "demo", "--scale", "1/255"]
        let request = ExportRequest(
            format: .report, plan: plan, path: out.path, overwrite: false, model: try .bundled(.mlp),
            data: try .demoHeldOut(), evalArguments: arguments)
        let result = try Exporter.export(request, using: workbench)
        guard case .report(let text) = result.details else {
            Issue.record("not a report")
            return
        }
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `fc") }
        #expect(rows.count == 3)
        let header = text.split(separator: "\n").first { $0.hasPrefix("| layer |") }.map(String.init) ?? ""
        let columns = { (line: Substring) in line.replacingOccurrences(of: #"\|"#, with: "").filter { $0 == "|" }.count
        }
        for row in rows { #expect(columns(row) == columns(Substring(header)), "\(row)") }
        #expect(rows[0].contains(#"\|w\| ≤ 0.04"#))
        // No plan file was given (the dashboard): the Reproduce section writes the plan out first.
        #expect(text.contains("cat > plan.json <<'QUANTDASH_PLAN'\n{"))
        #expect(
            text.contains(
                "QUANTDASH_PLAN\nquantdash eval --model demo-mlp --data demo --scale 1/255 --plan plan.json\n"))
        let json = try #require(
            text.components(separatedBy: "<<'QUANTDASH_PLAN'\n").last?
                .components(separatedBy: "QUANTDASH_PLAN\n").first)
        #expect(try QuantPlan.decoded(from: Data(json.utf8), file: "report.md") == plan)
    }

    @Test func cExportPathsAreResolvedOnceForBothCallers() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let inFolder = try Exporter.destination(.c, path: folder.path, modelPath: "models/my-net.onnx")
        #expect(inFolder.files.map(\.lastPathComponent) == ["my_net.h", "my_net.c"])
        let withExtension = try Exporter.destination(.c, path: folder.path + "/fw/model.c", modelPath: "demo-mlp")
        #expect(withExtension.files.map(\.path) == [folder.path + "/fw/model.h", folder.path + "/fw/model.c"])
        #expect(throws: ModelIOError.self) { try Exporter.destination(.onnx, path: "  ", modelPath: "demo-mlp") }
    }
}

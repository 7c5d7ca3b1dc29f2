import Foundation
import QuantCore
import QuantTUI
import QuantTestSupport
import Testing

/// Dashboard exports never replace an existing file unless the user confirmed (`overwrite`):
/// every format, including the C export's second file. The CLI's `--force` is tested per format
/// in QuantdashCLITests (ExportCommandTests, ExportONNXCommandTests, ExportCCommandTests, ExportReportTests).
@Suite struct ExportOverwriteTests {
    @Test(arguments: ExportFormat.allCases)
    func anExistingFileIsKeptUntilOverwriteIsConfirmed(format: ExportFormat) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(50), calibration: nil)
        let persistence = SessionPersistence(
            store: SessionStore(folder: folder.appendingPathComponent("Sessions")), model: try .bundled(.mlp),
            data: try .demoHeldOut(), workbench: workbench)
        let state = AppState(layers: workbench.layers, modelName: "demo-mlp", dataName: "demo")
        let path = folder.appendingPathComponent("out").path
        // For C only the second file (`.c`) exists: it must be protected too.
        let existing = format == .c ? path + ".c" : path
        let original = Data("precious\n".utf8)
        try original.write(to: URL(fileURLWithPath: existing))

        #expect(throws: DashboardPersistenceError.exists(existing)) {
            try persistence.export(format, path: path, overwrite: false, state: state)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == original)
        if format == .c { #expect(!FileManager.default.fileExists(atPath: path + ".h")) }

        _ = try persistence.export(format, path: path, overwrite: true, state: state)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) != original)
    }
}

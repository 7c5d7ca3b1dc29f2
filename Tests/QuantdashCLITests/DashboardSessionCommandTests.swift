import Foundation
import QuantTestSupport
import Testing

/// `quantdash --session NAME` opens the preset with its own model and data (issue 15.1): its
/// files are checked, and another `--model` is refused, before any terminal is touched.
@Suite struct DashboardSessionCommandTests {
    static func preset(model: String) -> String {
        """
        { "version": 1, "name": "p", "createdAt": "2026-11-18T11:06:40Z", "updatedAt": "2026-11-18T11:06:40Z",
          "model": { "path": "\(model)", "sha256": "\(String(repeating: "a", count: 64))" },
          "data": { "path": "demo", "sha256": "\(String(repeating: "b", count: 64))" },
          "plan": { "version": 1, "default": { "bits": 8 } } }
        """
    }

    @Test func aPresetWhoseModelFileIsMissingIsAOneLineError() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.preset(model: "gone/model.onnx").utf8).write(to: folder.appendingPathComponent("p.json"))
        let result = try TestSupport.runQuantdash(["--session", "p", "--sessions-folder", folder.path])
        #expect(result.status != 0)
        #expect(result.standardError.contains("preset p: its model file gone/model.onnx does not exist"))
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
    }

    @Test func anotherModelOnTheCommandLineIsRefused() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.preset(model: "demo-cnn").utf8).write(to: folder.appendingPathComponent("p.json"))
        let result = try TestSupport.runQuantdash([
            "--session", "p", "--sessions-folder", folder.path, "--model", "demo-mlp",
        ])
        #expect(result.status != 0)
        #expect(result.standardError.contains("preset p was made for model demo-cnn, not demo-mlp"))
    }
}

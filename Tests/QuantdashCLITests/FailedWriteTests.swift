import Foundation
import QuantTestSupport
import Testing

/// A write that fails half way (the file-size limit `ulimit -f` makes `write` fail with EFBIG,
/// as a full disk would with ENOSPC) leaves the old file byte for byte, no temporary file, and
/// one line naming the file.
@Suite struct FailedWriteTests {
    static let plan = #"{ "version": 1, "default": { "bits": 4 } }"#

    /// Runs `quantdash arguments` with a file-size limit of 512 bytes (SIGXFSZ ignored, so the
    /// write returns an error instead of killing the process).
    private func runWithFileSizeLimit(_ arguments: [String]) throws -> ProcessResult {
        let binary = TestSupport.productsDirectory.appendingPathComponent("quantdash").path
        return try TestSupport.run(
            "/bin/sh", ["-c", "trap '' XFSZ; ulimit -f 1; exec \"$@\"", "sh", binary] + arguments)
    }

    @Test(arguments: [("config", "export.json"), ("report", "report.md"), ("onnx", "model.onnx")])
    func aFailedExportLeavesTheOldFile(format: String, fileName: String) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(Self.plan.utf8).write(to: plan)
        let out = folder.appendingPathComponent(fileName)
        let old = Data("the previous export, which must survive\n".utf8)
        try old.write(to: out)
        let result = try runWithFileSizeLimit([
            "export", "--plan", plan.path, "--format", format, "--out", out.path, "--force",
        ])
        #expect(result.status != 0)
        #expect(result.standardError == "Error: \(out.path): cannot write: File too large\n")
        #expect(try Data(contentsOf: out) == old)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == [fileName, "plan.json"].sorted())
    }
}

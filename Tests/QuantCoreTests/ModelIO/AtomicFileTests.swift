import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Atomic writes: a new file or the whole replacement, never a partial file or a leftover
/// temporary file, and folders are refused before anything is created.
@Suite struct AtomicFileTests {
    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    private func names(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func createsAndReplacesWithoutLeftovers() throws {
        try withFolder { folder throws in
            let url = folder.appendingPathComponent("plan.json")
            try AtomicFile.write(Data("first".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("first".utf8))
            try AtomicFile.write(Data("second, longer".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("second, longer".utf8))
            try AtomicFile.write(Data(), to: url)
            #expect(try Data(contentsOf: url).isEmpty)
            #expect(try names(in: folder) == ["plan.json"])
        }
    }

    @Test(arguments: ["", ".", "..", "sub", "sub/."])
    func aFolderIsRefusedBeforeAnythingIsWritten(relative: String) throws {
        try withFolder { folder throws in
            let inner = folder.appendingPathComponent("sub", isDirectory: true)
            try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
            let url = URL(fileURLWithPath: folder.path + "/" + relative)
            #expect(throws: ModelIOError.writeFailed(path: url.path, reason: "is a folder, not a file")) {
                try AtomicFile.write(Data("x".utf8), to: url)
            }
            #expect(try names(in: folder) == ["sub"])
            #expect(try names(in: inner).isEmpty)
        }
    }

    @Test func aMissingFolderIsAnErrorNamingTheFile() throws {
        try withFolder { folder throws in
            let url = folder.appendingPathComponent("missing/plan.json")
            #expect(throws: ModelIOError.writeFailed(path: url.path, reason: "No such file or directory")) {
                try AtomicFile.write(Data("x".utf8), to: url)
            }
            #expect(try names(in: folder).isEmpty)
        }
    }
}

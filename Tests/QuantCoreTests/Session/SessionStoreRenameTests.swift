import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Renaming a preset (the dashboard's preset list, issue 15.14): the file moves, nothing is
/// ever replaced.
@Suite struct SessionStoreRenameTests {
    private func withStore(_ body: (SessionStore) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(SessionStore(folder: folder.appendingPathComponent("Sessions")))
    }

    @Test func renamingMovesThePresetToItsNewName() throws {
        try withStore { store in
            let preset = SessionTestPresets.small()
            let bytes = try preset.encoded()
            try store.save(preset)
            try store.rename(named: "mlp-4bit", to: "mlp-final")
            #expect(try store.list().map(\.name) == ["mlp-final"])
            #expect(try store.load(named: "mlp-final").plan == preset.plan)
            #expect(try Data(contentsOf: store.fileURL(forName: "mlp-final")) == bytes)
        }
    }

    @Test func renamingNeverReplacesAnotherPreset() throws {
        try withStore { store in
            try store.save(SessionTestPresets.small(top1: 0.9))
            var other = SessionTestPresets.small(top1: 0.5)
            other.name = "other"
            try store.save(other)
            let before = try Data(contentsOf: store.fileURL(forName: "other"))
            #expect(throws: SessionError.self) { try store.rename(named: "mlp-4bit", to: "other") }
            #expect(try Data(contentsOf: store.fileURL(forName: "other")) == before)
            #expect(try store.list().map(\.name).sorted() == ["mlp-4bit", "other"])
            #expect(throws: SessionError.self) { try store.rename(named: "missing", to: "new") }
            #expect(throws: SessionError.self) { try store.rename(named: "mlp-4bit", to: "../escape") }
        }
    }
}

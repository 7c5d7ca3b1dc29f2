import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

#if canImport(Glibc)
    import Glibc
#endif

/// The sessions folder: names, saving, listing, deleting and the autosave.
@Suite struct SessionStoreTests {
    /// Runs `body` with a store in a fresh temporary folder.
    private func withStore(_ body: (SessionStore) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(SessionStore(folder: folder.appendingPathComponent("Sessions")))
    }

    private func files(in store: SessionStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.folder.path).sorted()
    }

    // MARK: Saving and loading

    @Test func savesOneFilePerPresetAndLoadsItBack() throws {
        try withStore { store in
            let preset = SessionTestPresets.small()
            let url = try store.save(preset)
            #expect(url.lastPathComponent == "mlp-4bit.json")
            #expect(url.deletingLastPathComponent().path == store.folder.path)
            #expect(try Data(contentsOf: url) == preset.encoded())
            #expect(try store.load(named: "mlp-4bit") == preset)
            #expect(try files(in: store) == ["mlp-4bit.json"])
        }
    }

    @Test func theFileNameWinsOverTheNameInside() throws {
        try withStore { store in
            let url = try store.save(SessionTestPresets.small())
            try FileManager.default.moveItem(at: url, to: store.folder.appendingPathComponent("renamed.json"))
            #expect(try store.load(named: "renamed").name == "renamed")
        }
    }

    @Test func savingOverAnExistingNameNeedsOverwrite() throws {
        try withStore { store in
            let first = SessionTestPresets.small(top1: 0.9)
            let url = try store.save(first)
            let second = SessionTestPresets.small(top1: 0.8)
            #expect(throws: SessionError.exists(file: url.relativePath, name: "mlp-4bit")) { try store.save(second) }
            #expect(
                SessionError.exists(file: "Sessions/mlp-4bit.json", name: "mlp-4bit").description
                    == #"Sessions/mlp-4bit.json: a preset named "mlp-4bit" already exists (save with overwrite to replace it)"#
            )
            #expect(try store.load(named: "mlp-4bit") == first)
            try store.save(second, overwrite: true)
            #expect(try store.load(named: "mlp-4bit") == second)
        }
    }

    @Test func missingPresetsAreNotFound() throws {
        try withStore { store in
            let file = store.folder.appendingPathComponent("nope.json").relativePath
            #expect(throws: SessionError.notFound(file: file, name: "nope")) { try store.load(named: "nope") }
            #expect(throws: SessionError.notFound(file: file, name: "nope")) { try store.delete(named: "nope") }
            #expect(
                SessionError.notFound(file: "Sessions/nope.json", name: "nope").description
                    == #"Sessions/nope.json: no preset named "nope""#)
        }
    }

    @Test func deleteRemovesOnlyThatPreset() throws {
        try withStore { store in
            try store.save(SessionTestPresets.small(name: "a"))
            try store.save(SessionTestPresets.small(name: "b"))
            try store.delete(named: "a")
            #expect(try files(in: store) == ["b.json"])
        }
    }

    // MARK: Names

    static let badNames: [(name: String, message: String)] = [
        ("", #"invalid preset name "": must not be empty"#),
        ("../x", #"invalid preset name "../x": must not contain "/" (a preset is one file in the sessions folder)"#),
        ("/abs", #"invalid preset name "/abs": must not contain "/" (a preset is one file in the sessions folder)"#),
        (".hidden", #"invalid preset name ".hidden": must not start with ".""#),
        ("..", #"invalid preset name "..": must not start with ".""#),
        ("a..b", #"invalid preset name "a..b": must not contain "..""#),
        (
            String(repeating: "x", count: 65),
            #"invalid preset name ""# + String(repeating: "x", count: 65)
                + #"": 65 characters is too long (at most 64)"#
        ),
        ("café", #"invalid preset name "café": "é" is not allowed (use letters a–z, A–Z, digits, "-", "_" and ".")"#),
        (
            "two words",
            #"invalid preset name "two words": " " is not allowed (use letters a–z, A–Z, digits, "-", "_" and ".")"#
        ),
        (#"a\b"#, #"invalid preset name "a\b": "\" is not allowed (use letters a–z, A–Z, digits, "-", "_" and ".")"#),
    ]

    @Test(arguments: badNames)
    func badNamesAreRefusedBeforeAnyFileIsTouched(name: String, message: String) throws {
        try withStore { store in
            var preset = SessionTestPresets.small()
            preset.name = name
            do {
                try store.save(preset)
                Issue.record("saved \(name)")
            } catch let error as SessionError {
                #expect(error.description == message)
            }
            #expect(throws: SessionError.self) { try store.load(named: name) }
            #expect(throws: SessionError.self) { try store.delete(named: name) }
            #expect(!FileManager.default.fileExists(atPath: store.folder.path))
        }
    }

    @Test(arguments: ["a", "mlp-4bit_v2.final", "A.b-c_D", String(repeating: "9", count: 64), "x.json"])
    func goodNamesAreAccepted(name: String) throws {
        #expect(SessionStore.nameProblem(name) == nil)
        try withStore { store in
            let url = try store.save(SessionTestPresets.small(name: name))
            #expect(url.lastPathComponent == "\(name).json")
            #expect(try store.load(named: name).name == name)
        }
    }

    // MARK: Failed saves

    @Test func aFailedWriteLeavesTheOldPresetIntact() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = SessionStore(folder: folder)
        let old = try Data(contentsOf: try store.save(SessionTestPresets.small(top1: 0.9)))
        let failing = SessionStore(folder: folder) { _, url in
            throw ModelIOError.writeFailed(path: url.path, reason: "No space left on device")
        }
        let file = folder.appendingPathComponent("mlp-4bit.json").relativePath
        #expect(throws: SessionError.writeFailed(file: file, reason: "No space left on device")) {
            try failing.save(SessionTestPresets.small(top1: 0.5), overwrite: true)
        }
        #expect(try Data(contentsOf: folder.appendingPathComponent("mlp-4bit.json")) == old)
    }

    @Test func aPresetThatCannotBeEncodedLeavesTheOldFileAndNoTemporaryFile() throws {
        try withStore { store in
            let url = try store.save(SessionTestPresets.small())
            let old = try Data(contentsOf: url)
            var broken = SessionTestPresets.small()
            broken.plan.layers["fc1"] = LayerSettings(bitWidth: 3, scheme: .nf4)
            #expect(
                throws: SessionError.invalidField(
                    file: url.relativePath, path: "plan.layers.fc1.bits",
                    problem: "3 bits is not allowed by scheme nf4 (allowed: 4)")
            ) { try store.save(broken, overwrite: true) }
            #expect(try Data(contentsOf: url) == old)
            #expect(try files(in: store) == ["mlp-4bit.json"])
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores folder permissions"))
    func aReadOnlyFolderLeavesTheOldPresetIntact() throws {
        try withStore { store in
            let url = try store.save(SessionTestPresets.small(top1: 0.9))
            let old = try Data(contentsOf: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store.folder.path)
            defer {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store.folder.path)
            }
            #expect(throws: SessionError.self) { try store.save(SessionTestPresets.small(top1: 0.5), overwrite: true) }
            #expect(try Data(contentsOf: url) == old)
        }
    }

    // MARK: Listing

    @Test func listsNewestFirstWithUnreadableFilesLast() throws {
        try withStore { store in
            try store.save(SessionTestPresets.small(name: "old", updatedAt: SessionTestPresets.date(10), top1: 0.9))
            try store.save(SessionTestPresets.small(name: "new", updatedAt: SessionTestPresets.date(30), top1: 0.8))
            try store.save(SessionTestPresets.small(name: "mid-b", updatedAt: SessionTestPresets.date(20)))
            try store.save(SessionTestPresets.small(name: "mid-a", updatedAt: SessionTestPresets.date(20)))
            var noResults = SessionTestPresets.small(name: "plain", updatedAt: SessionTestPresets.date(5))
            noResults.results = nil
            try store.save(noResults)
            try Data("{ \"version\": 1,".utf8).write(to: store.folder.appendingPathComponent("broken.json"))
            try Data("not a preset".utf8).write(to: store.folder.appendingPathComponent("README.txt"))
            try store.autosave(SessionTestPresets.small(name: "autosaved", updatedAt: SessionTestPresets.date(99)))

            let summaries = try store.list()
            #expect(summaries.map(\.name) == ["new", "mid-a", "mid-b", "old", "plain", "broken"])
            #expect(summaries[0].top1 == 0.8)
            #expect(summaries[0].sizeBytes == 150_000)
            #expect(summaries[0].compressionRatio == 6.25)
            #expect(summaries[0].updatedAt == SessionTestPresets.date(30))
            #expect(summaries[4].top1 == nil)
            #expect(summaries[4].isReadable)
            let broken = summaries[5]
            #expect(!broken.isReadable)
            #expect(broken.updatedAt == nil)
            #expect(broken.error?.hasPrefix(broken.file.relativePath + ": not a valid session: invalid JSON") == true)
        }
    }

    @Test func aMissingFolderIsAnEmptyList() throws {
        try withStore { store throws in
            #expect(try store.list().isEmpty)
            #expect(!store.shouldOfferRestore())
        }
    }

    // MARK: Autosave

    @Test func autosaveRoundTripsAndIsDiscarded() throws {
        try withStore { store in
            #expect(try store.loadAutosave() == nil)
            let state = SessionTestPresets.small(name: "untitled", basedOn: "mlp-4bit")
            try store.autosave(state)
            #expect(try files(in: store) == [".autosave.json"])
            #expect(try store.loadAutosave() == state)
            try store.autosave(SessionTestPresets.small(name: "untitled", top1: 0.5))
            #expect(try store.loadAutosave()?.results?.top1 == 0.5)
            try store.discardAutosave()
            #expect(try store.loadAutosave() == nil)
            try store.discardAutosave()
        }
    }

    @Test func restoreIsOfferedWhenTheAutosaveIsNewerThanItsBase() throws {
        try withStore { store in
            try store.save(SessionTestPresets.small(name: "base", updatedAt: SessionTestPresets.date(100)))
            try store.save(SessionTestPresets.small(name: "other", updatedAt: SessionTestPresets.date(500)))
            let autosave = { (seconds: Double) in
                try store.autosave(
                    SessionTestPresets.small(name: "base", updatedAt: SessionTestPresets.date(seconds), basedOn: "base")
                )
            }
            try autosave(200)
            #expect(store.shouldOfferRestore())  // newer than its base, though older than "other"
            try autosave(100)
            #expect(!store.shouldOfferRestore())  // same time: nothing new
            try autosave(50)
            #expect(!store.shouldOfferRestore())
        }
    }

    @Test func withoutABaseTheAutosaveIsComparedWithTheNewestPreset() throws {
        try withStore { store in
            let autosave = { (seconds: Double, basedOn: String?) in
                try store.autosave(
                    SessionTestPresets.small(
                        name: "untitled", updatedAt: SessionTestPresets.date(seconds), basedOn: basedOn))
            }
            try autosave(10, nil)
            #expect(store.shouldOfferRestore())  // no saved preset at all
            try store.save(SessionTestPresets.small(name: "a", updatedAt: SessionTestPresets.date(5)))
            try store.save(SessionTestPresets.small(name: "b", updatedAt: SessionTestPresets.date(20)))
            #expect(!store.shouldOfferRestore())  // "b" is newer
            try autosave(30, nil)
            #expect(store.shouldOfferRestore())
            try autosave(15, "deleted-since")
            #expect(!store.shouldOfferRestore())  // base gone: compared with "b"
            try autosave(25, "deleted-since")
            #expect(store.shouldOfferRestore())
        }
    }

    @Test func anUnreadableAutosaveIsNotOffered() throws {
        try withStore { store in
            try FileManager.default.createDirectory(at: store.folder, withIntermediateDirectories: true)
            try Data("{".utf8).write(to: store.autosaveURL)
            #expect(!store.shouldOfferRestore())
            #expect(throws: SessionError.self) { try store.loadAutosave() }
        }
    }

    @Test func autosaveChecksNames() throws {
        try withStore { store in
            #expect(throws: SessionError.self) {
                try store.autosave(SessionTestPresets.small(name: "untitled", basedOn: "../escape"))
            }
        }
    }
}

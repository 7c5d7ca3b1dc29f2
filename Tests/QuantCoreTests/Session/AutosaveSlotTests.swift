import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The autosave belongs to one model, one data set and one running dashboard (issue 15.1).
@Suite struct AutosaveSlotTests {
    static let mlp = SessionTestPresets.sha("a")
    static let data = SessionTestPresets.sha("b")
    static let cnn = SessionTestPresets.sha("c")
    /// No process has this id (above any `pid_max`).
    static let deadProcess: Int32 = 2_147_483_000

    private func store(_ folder: URL, model: String = mlp, process: Int32) -> SessionStore {
        SessionStore(
            folder: folder, autosaveSlot: AutosaveSlot(modelSHA: model, dataSHA: Self.data, processID: process))
    }

    private func preset(model: String, seconds: Double) -> SessionPreset {
        var preset = SessionTestPresets.small(name: "untitled", updatedAt: SessionTestPresets.date(seconds))
        preset.model.sha256 = model
        return preset
    }

    @Test func eachDashboardWritesItsOwnFileNamedForModelDataAndProcess() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = store(folder, process: 100)
        let second = store(folder, process: 200)
        try first.autosave(preset(model: Self.mlp, seconds: 1))
        try second.autosave(preset(model: Self.mlp, seconds: 2))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(
            names == [".autosave-aaaaaaaaaaaa-bbbbbbbbbbbb-100.json", ".autosave-aaaaaaaaaaaa-bbbbbbbbbbbb-200.json"])
        #expect(try first.loadAutosave()?.updatedAt == SessionTestPresets.date(1))
        #expect(try second.loadAutosave()?.updatedAt == SessionTestPresets.date(2))
        #expect(SessionStore.autosaves(ofProcess: 200, in: folder).map(\.lastPathComponent) == [names[1]])
        try first.discardAutosave()
        #expect(try first.loadAutosave() == nil)
        #expect(try second.loadAutosave() != nil)
    }

    @Test func onlyAnAutosaveOfTheSameModelAndDataLeftByAnEndedDashboardIsOffered() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A CNN dashboard that ended, an MLP dashboard still running, and one MLP dashboard that ended.
        try store(folder, model: Self.cnn, process: Self.deadProcess).autosave(preset(model: Self.cnn, seconds: 9))
        try store(folder, process: getpid()).autosave(preset(model: Self.mlp, seconds: 8))
        try store(folder, process: Self.deadProcess).autosave(preset(model: Self.mlp, seconds: 5))
        let mlpStore = store(folder, process: 300)
        let left = try #require(mlpStore.leftAutosave())
        #expect(left.url.lastPathComponent == ".autosave-aaaaaaaaaaaa-bbbbbbbbbbbb-\(Self.deadProcess).json")
        #expect(left.preset.updatedAt == SessionTestPresets.date(5))
        // The CNN's is offered to a CNN dashboard only.
        let cnnLeft = try #require(store(folder, model: Self.cnn, process: 301).leftAutosave())
        #expect(cnnLeft.preset.model.sha256 == Self.cnn)
        // Once discarded, nothing is offered to the MLP.
        try mlpStore.discardAutosave(at: left.url)
        #expect(mlpStore.leftAutosave() == nil)
    }

    @Test func aFileWhoseContentsBelongToAnotherModelIsNotOffered() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Named for the MLP, holding the CNN (renamed by hand): the contents decide.
        let url = folder.appendingPathComponent(
            AutosaveSlot(modelSHA: Self.mlp, dataSHA: Self.data, processID: Self.deadProcess).fileName)
        try preset(model: Self.cnn, seconds: 5).encoded().write(to: url)
        #expect(store(folder, process: 1).leftAutosave() == nil)
    }

    @Test func processLiveness() {
        #expect(AutosaveSlot.isRunning(getpid()))
        #expect(!AutosaveSlot.isRunning(Self.deadProcess))
        #expect(!AutosaveSlot.isRunning(0))
    }
}

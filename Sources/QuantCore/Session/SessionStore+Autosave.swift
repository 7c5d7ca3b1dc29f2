import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whose autosave a file is: one model, one data set, one running dashboard.
///
/// The file is `.autosave-MODEL-DATA-PID.json` (the first 12 hex digits of each SHA-256, and the
/// process that owns it), so a CNN session never sees an MLP autosave and two dashboards on one
/// folder never write the same file.
public struct AutosaveSlot: Sendable, Equatable {
    /// SHA-256 of the model file.
    public var modelSHA: String
    /// SHA-256 of the held-out data.
    public var dataSHA: String
    /// The process owning the file: the supervisor of the dashboard (it outlives a killed
    /// dashboard and reports what the file holds), or the dashboard itself when unsupervised.
    public var processID: Int32

    /// Creates a slot.
    public init(modelSHA: String, dataSHA: String, processID: Int32) {
        self.modelSHA = modelSHA
        self.dataSHA = dataSHA
        self.processID = processID
    }

    /// The hidden file name in the sessions folder.
    public var fileName: String {
        "\(Self.prefix)\(modelSHA.prefix(12))-\(dataSHA.prefix(12))-\(processID).json"
    }

    static let prefix = ".autosave-"

    /// The parts of an autosave file name: model and data digest prefixes and the process.
    static func parse(_ fileName: String) -> (model: Substring, data: Substring, processID: Int32)? {
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(".json") else { return nil }
        let parts = fileName.dropFirst(prefix.count).dropLast(".json".count).split(separator: "-")
        guard parts.count == 3, let processID = Int32(parts[2]) else { return nil }
        return (parts[0], parts[1], processID)
    }

    /// Whether process `processID` still runs (a dead owner's autosave is offered for restore).
    public static func isRunning(_ processID: Int32) -> Bool {
        processID > 0 && (kill(processID, 0) == 0 || errno == EPERM)
    }
}

/// An autosave left by a dashboard that is no longer running.
public struct LeftAutosave: Sendable, Equatable {
    /// The file.
    public var url: URL
    /// What it holds.
    public var preset: SessionPreset
}

extension SessionStore {
    /// Writes `preset` to this store's autosave file atomically (set `basedOn` to the preset it
    /// started from).
    ///
    /// - Throws: `SessionError.invalidName` for an invalid `name` or `basedOn`, `.writeFailed`.
    public func autosave(_ preset: SessionPreset) throws {
        try SessionStore.validateName(preset.name)
        if let basedOn = preset.basedOn { try SessionStore.validateName(basedOn) }
        try writeAtomically(preset, to: autosaveURL)
    }

    /// This store's autosaved state, or nil when there is none.
    ///
    /// - Throws: `SessionError` when the autosave file exists but cannot be read or decoded.
    public func loadAutosave() throws -> SessionPreset? {
        guard FileManager.default.fileExists(atPath: autosaveURL.path) else { return nil }
        return try SessionPreset.load(contentsOf: autosaveURL)
    }

    /// Whether the dashboard should offer to restore this store's own autosave file at start
    /// (the shared `.autosave.json` of a store without slot).
    ///
    /// True when a readable autosave exists and is newer (`updatedAt`) than the preset it was
    /// based on — or, when that preset is gone or the autosave names none, newer than the newest
    /// readable saved preset (or there is none).
    public func shouldOfferRestore() -> Bool {
        guard let autosave = try? loadAutosave() else { return false }
        return isWorthRestoring(autosave)
    }

    /// The newest autosave of this store's model and data left by a dashboard that no longer
    /// runs and newer than the preset it was based on, or nil (see `shouldOfferRestore()`).
    ///
    /// Files of other models or data, of running dashboards, and unreadable files are skipped.
    /// - Parameter isRunning: whether a process still runs (injected in tests).
    public func leftAutosave(isRunning: (Int32) -> Bool = AutosaveSlot.isRunning) -> LeftAutosave? {
        guard let slot = autosaveSlot else {
            guard let preset = try? loadAutosave(), isWorthRestoring(preset) else { return nil }
            return LeftAutosave(url: autosaveURL, preset: preset)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var candidates: [LeftAutosave] = []
        for name in names.sorted() {
            guard let parts = AutosaveSlot.parse(name), parts.processID != slot.processID,
                slot.modelSHA.hasPrefix(parts.model), slot.dataSHA.hasPrefix(parts.data),
                !isRunning(parts.processID)
            else { continue }
            let url = folder.appendingPathComponent(name, isDirectory: false)
            guard let preset = try? SessionPreset.load(contentsOf: url),
                preset.model.sha256 == slot.modelSHA, preset.data.sha256 == slot.dataSHA, isWorthRestoring(preset)
            else { continue }
            candidates.append(LeftAutosave(url: url, preset: preset))
        }
        return candidates.max { $0.preset.updatedAt < $1.preset.updatedAt }
    }

    /// The autosave files owned by process `processID` in `folder` (what a supervisor reports
    /// after its dashboard was killed).
    public static func autosaves(ofProcess processID: Int32, in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { AutosaveSlot.parse($0)?.processID == processID }.map {
            folder.appendingPathComponent($0, isDirectory: false)
        }
    }

    private func isWorthRestoring(_ autosave: SessionPreset) -> Bool {
        if let basedOn = autosave.basedOn, let base = try? load(named: basedOn) {
            return autosave.updatedAt > base.updatedAt
        }
        let newest = ((try? list()) ?? []).compactMap(\.updatedAt).max()
        return newest.map { autosave.updatedAt > $0 } ?? true
    }

    /// Deletes this store's autosave file if there is one.
    ///
    /// - Throws: `SessionError.writeFailed` when it exists and cannot be deleted.
    public func discardAutosave() throws {
        try discardAutosave(at: autosaveURL)
    }

    /// Deletes the autosave file `url` if it exists (a left autosave, restored or discarded).
    ///
    /// - Throws: `SessionError.writeFailed` when it exists and cannot be deleted.
    public func discardAutosave(at url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw SessionError.writeFailed(
                file: url.relativePath, reason: PlanDecoding.oneLine(error.localizedDescription))
        }
    }
}

import Foundation

/// The saved presets: one JSON file per preset (`NAME.json`) in a folder, plus `.autosave.json`
/// holding the latest unsaved state.
///
/// Every write is atomic (`AtomicFile`): a failed or interrupted save leaves the old file as it
/// was. Names are checked before any file is touched, so a name can never reach outside the
/// folder. Timestamps come from the presets themselves (`updatedAt`), never from the clock or
/// file dates, so callers decide what "newer" means and tests inject dates.
public struct SessionStore: Sendable {
    /// The longest preset name.
    public static let maximumNameLength = 64
    /// The autosave file's name when the store has no `AutosaveSlot` (hidden: never listed).
    public static let autosaveFileName = ".autosave.json"

    /// The folder holding the presets.
    public let folder: URL
    /// Whose autosave this store writes (one model, one data set, one running dashboard);
    /// nil: the shared `.autosave.json`.
    public let autosaveSlot: AutosaveSlot?
    /// Writes a file atomically (`AtomicFile.write`); tests replace it to make writes fail.
    let write: @Sendable (Data, URL) throws -> Void

    /// A store for the presets in `folder` (created on the first save) whose autosave goes to
    /// `autosaveSlot`'s own file.
    public init(folder: URL = URL(fileURLWithPath: "Sessions", isDirectory: true), autosaveSlot: AutosaveSlot? = nil) {
        self.init(folder: folder, autosaveSlot: autosaveSlot, write: { try AtomicFile.write($0, to: $1) })
    }

    /// A store whose file writes go through `write` (for tests).
    init(folder: URL, autosaveSlot: AutosaveSlot? = nil, write: @escaping @Sendable (Data, URL) throws -> Void) {
        self.folder = folder
        self.autosaveSlot = autosaveSlot
        self.write = write
    }

    // MARK: Names

    /// Why `name` cannot be a preset name, or nil when it can.
    ///
    /// A name is 1–64 ASCII letters, digits, `-`, `_` and `.`, does not start with `.` and has no
    /// `..`, so `NAME.json` is always a plain file inside the folder.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.count > maximumNameLength {
            return "\(name.count) characters is too long (at most \(maximumNameLength))"
        }
        if name.contains("/") { return "must not contain \"/\" (a preset is one file in the sessions folder)" }
        if name.hasPrefix(".") { return "must not start with \".\"" }
        if name.contains("..") { return "must not contain \"..\"" }
        if let bad = name.first(where: { !isAllowedNameCharacter($0) }) {
            return "\"\(bad)\" is not allowed (use letters a–z, A–Z, digits, \"-\", \"_\" and \".\")"
        }
        return nil
    }

    /// Throws `SessionError.invalidName` unless `name` is a valid preset name (see `nameProblem(_:)`).
    public static func validateName(_ name: String) throws {
        if let problem = nameProblem(name) { throw SessionError.invalidName(name: name, problem: problem) }
    }

    /// The file of the preset named `name`, after checking the name.
    ///
    /// - Throws: `SessionError.invalidName`.
    public func fileURL(forName name: String) throws -> URL {
        try SessionStore.validateName(name)
        return folder.appendingPathComponent("\(name).json", isDirectory: false)
    }

    /// This store's autosave file (its slot's, or the shared `.autosave.json`).
    public var autosaveURL: URL {
        folder.appendingPathComponent(autosaveSlot?.fileName ?? SessionStore.autosaveFileName, isDirectory: false)
    }

    private static func isAllowedNameCharacter(_ character: Character) -> Bool {
        guard character.isASCII, let scalar = character.unicodeScalars.first else { return false }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": return true
        default: return false
        }
    }

    // MARK: Presets

    /// Saves `preset` as `NAME.json` atomically and returns the file.
    ///
    /// - Parameter overwrite: replace an existing preset of the same name.
    /// - Throws: `SessionError.invalidName`, `.exists` (without `overwrite`), `.invalidField` for a
    ///   plan with out-of-range settings, `.writeFailed`; the old file is intact after any of them.
    @discardableResult
    public func save(_ preset: SessionPreset, overwrite: Bool = false) throws -> URL {
        let url = try fileURL(forName: preset.name)
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw SessionError.exists(file: url.relativePath, name: preset.name)
        }
        try writeAtomically(preset, to: url)
        return url
    }

    /// The preset named `name`.
    ///
    /// The file name wins over the `name` field inside it, so renaming a file renames the preset.
    /// - Throws: `SessionError.invalidName`, `.notFound`, or any error of `SessionPreset.load(contentsOf:)`.
    public func load(named name: String) throws -> SessionPreset {
        let url = try fileURL(forName: name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SessionError.notFound(file: url.relativePath, name: name)
        }
        var preset = try SessionPreset.load(contentsOf: url)
        preset.name = name
        return preset
    }

    /// Deletes the preset named `name`.
    ///
    /// - Throws: `SessionError.invalidName`, `.notFound`, `.writeFailed`.
    public func delete(named name: String) throws {
        let url = try fileURL(forName: name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SessionError.notFound(file: url.relativePath, name: name)
        }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw SessionError.writeFailed(
                file: url.relativePath, reason: PlanDecoding.oneLine(error.localizedDescription))
        }
    }

    /// Renames preset `name` to `newName` (the file name is the preset's name); never replaces
    /// an existing preset.
    ///
    /// - Throws: `SessionError.invalidName`, `.notFound`, `.exists`, `.writeFailed`.
    public func rename(named name: String, to newName: String) throws {
        let url = try fileURL(forName: name)
        let newURL = try fileURL(forName: newName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SessionError.notFound(file: url.relativePath, name: name)
        }
        // A hard link never replaces an existing file (EEXIST), unlike rename(2).
        guard link(url.path, newURL.path) == 0 else {
            if errno == EEXIST { throw SessionError.exists(file: newURL.relativePath, name: newName) }
            throw SessionError.writeFailed(file: newURL.relativePath, reason: String(cString: strerror(errno)))
        }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            try? FileManager.default.removeItem(at: newURL)
            throw SessionError.writeFailed(
                file: url.relativePath, reason: PlanDecoding.oneLine(error.localizedDescription))
        }
    }

    /// Every saved preset, newest `updatedAt` first (ties by name); files that cannot be read are
    /// listed last, by name, with their error instead of results.
    ///
    /// A missing folder is an empty list. Hidden files (the autosave, temporary files) are skipped.
    /// - Throws: `SessionError.unreadable` when the folder exists but cannot be listed.
    public func list() throws -> [SessionSummary] {
        var summaries: [SessionSummary] = []
        for url in try presetFiles() {
            let name = String(url.lastPathComponent.dropLast(".json".count))
            do {
                var preset = try SessionPreset.load(contentsOf: url)
                preset.name = name
                summaries.append(SessionSummary(preset, file: url))
            } catch let error as SessionError {
                summaries.append(SessionSummary(name: name, file: url, error: error.description))
            }
        }
        return summaries.sorted(by: SessionSummary.newestFirst)
    }

    /// The `NAME.json` files in the folder whose name is a valid preset name.
    private func presetFiles() throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw SessionError.unreadable(
                file: folder.relativePath, reason: PlanDecoding.readFailureReason(error, url: folder))
        }
        return names.sorted().compactMap { fileName in
            guard fileName.hasSuffix(".json") else { return nil }
            let name = String(fileName.dropLast(".json".count))
            guard SessionStore.nameProblem(name) == nil else { return nil }
            return folder.appendingPathComponent(fileName, isDirectory: false)
        }
    }

    /// Encodes `preset` and writes it atomically, creating the folder if needed.
    func writeAtomically(_ preset: SessionPreset, to url: URL) throws {
        let file = url.relativePath
        let data: Data
        do {
            data = try preset.encoded()
        } catch let error as SessionError {
            throw error.inFile(file)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SessionError.writeFailed(file: file, reason: "\(folder.relativePath) is a file, not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SessionError.writeFailed(file: file, reason: PlanDecoding.oneLine(error.localizedDescription))
        }
        do {
            try write(data, url)
        } catch let ModelIOError.writeFailed(_, reason) {
            throw SessionError.writeFailed(file: file, reason: reason)
        } catch {
            throw SessionError.writeFailed(file: file, reason: PlanDecoding.oneLine("\(error)"))
        }
    }
}

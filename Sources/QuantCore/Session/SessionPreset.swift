import Foundation

/// A saved dashboard state: which model and data, the quantization plan, notes, the last results
/// and a little view state — one human-readable JSON file in `Sessions/` (see `SessionStore`).
///
/// ```
/// { "createdAt": "2026-11-18T11:06:40Z", "data": { "path": "demo", "sha256": "…" },
///   "model": { "path": "demo-mlp", "sha256": "…" }, "name": "mixed-4bit", "notes": "",
///   "plan": { "default": {…}, "layers": {…}, "version": 1 },
///   "results": { "top1": 0.951, … }, "updatedAt": "2026-11-18T11:10:00Z", "version": 1 }
/// ```
/// The plan is embedded in exactly the format of a `--plan` file. Timestamps are ISO 8601 UTC,
/// kept to the millisecond (`Timestamp`). Decoding is strict: an unknown field, `null`, a wrong
/// type or an out-of-range value is a `SessionError` naming the file and the JSON path.
public struct SessionPreset: Sendable, Equatable {
    /// The session-file version this build reads and writes.
    public static let currentVersion = 1

    /// View state worth restoring with a preset.
    public struct ViewState: Sendable, Equatable {
        /// The layer selected in the layer table.
        public var selectedLayer: String?

        /// Creates view state.
        public init(selectedLayer: String? = nil) {
            self.selectedLayer = selectedLayer
        }
    }

    /// The session-file version of this preset (always `currentVersion`).
    public var version: Int { SessionPreset.currentVersion }
    /// The preset's name, also its file name (`NAME.json`); see `SessionStore.validateName(_:)`.
    public var name: String
    /// The model, as given (`demo-mlp` for the bundled demo), with its SHA-256.
    public var model: FileReference
    /// The held-out data, as given (`demo` for the bundled digits), with its SHA-256.
    public var data: FileReference
    /// The quantization plan.
    public var plan: QuantPlan
    /// Free text.
    public var notes: String
    /// The last results shown for this plan, if any were computed.
    public var results: PlanResults?
    /// When the preset was first saved.
    public var createdAt: Date
    /// When the preset last changed; `SessionStore` compares these to offer restoring an autosave.
    public var updatedAt: Date
    /// The name of the saved preset this state started from (recorded in autosaves).
    public var basedOn: String?
    /// View state to restore, if any.
    public var view: ViewState?
    /// The accuracy and size budgets set in the dashboard, if any (`"budgets": "1pt 8x"`, see `Budgets`).
    public var budgets: Budgets?
    /// The sensitivity analysis measured for this model and data (`"sensitivity"`), if any.
    public var sensitivity: SavedSensitivity?

    /// Creates a preset.
    public init(
        name: String, model: FileReference, data: FileReference, plan: QuantPlan, notes: String = "",
        results: PlanResults? = nil, createdAt: Date, updatedAt: Date, basedOn: String? = nil,
        view: ViewState? = nil, budgets: Budgets? = nil, sensitivity: SavedSensitivity? = nil
    ) {
        self.sensitivity = sensitivity
        self.name = name
        self.model = model
        self.data = data
        self.plan = plan
        self.notes = notes
        self.results = results
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.basedOn = basedOn
        self.view = view
        self.budgets = budgets
    }
}

// MARK: - Files

extension SessionPreset {
    /// The preset as stable, human-readable JSON: sorted keys, pretty printed, UTF-8, ending in a newline.
    ///
    /// - Throws: `SessionError.invalidField` when the embedded plan has out-of-range settings.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(contentsOf: Array("\n".utf8))
            return data
        } catch let error as PlanError {
            throw SessionError.from(error, file: "")
        } catch {
            throw SessionError.invalidField(file: "", path: "session", problem: "cannot be written: \(error)")
        }
    }

    /// Decodes a preset from JSON bytes, naming `file` in any error.
    ///
    /// - Throws: `SessionError` (malformed JSON, unsupported version, unknown, missing or invalid field).
    public static func decoded(from data: Data, file: String) throws -> SessionPreset {
        if let problem = PlanDecoding.nestingProblem(in: data) {  // before Foundation's decoder traps on it
            throw SessionError.malformedJSON(file: file, detail: PlanDecoding.syntaxProblem(in: data) ?? problem)
        }
        do {
            return try JSONDecoder().decode(SessionPreset.self, from: data)
        } catch let error as SessionError {
            throw error.inFile(file)
        } catch let error as PlanError {
            throw SessionError.from(error, file: file)
        } catch let error as DecodingError {
            if let problem = PlanDecoding.syntaxProblem(in: data) {
                throw SessionError.malformedJSON(file: file, detail: problem)
            }
            throw SessionError.from(PlanDecoding.planError(from: error), file: file)
        } catch {
            throw SessionError.malformedJSON(file: file, detail: PlanDecoding.oneLine("\(error)"))
        }
    }

    /// Reads and decodes the preset file at `url`.
    ///
    /// - Throws: `SessionError.unreadable` when the file cannot be read, otherwise as `decoded(from:file:)`.
    public static func load(contentsOf url: URL) throws -> SessionPreset {
        let file = url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SessionError.unreadable(file: file, reason: PlanDecoding.readFailureReason(error, url: url))
        }
        return try decoded(from: data, file: file)
    }
}

// MARK: - Compatibility

extension SessionPreset {
    /// How well this preset fits the model and data now loaded.
    ///
    /// - Parameters:
    ///   - modelSHA: SHA-256 of the loaded model file.
    ///   - dataSHA: SHA-256 of the loaded data (as recorded in `FileReference`).
    ///   - layerNames: the loaded model's layer names.
    public func compatibility(with modelSHA: String, dataSHA: String, layerNames: [String]) -> SessionCompatibility {
        let known = Set(layerNames)
        let planned = Set(plan.layers.keys)
        return SessionCompatibility(
            isModelChanged: model.sha256 != modelSHA, isDataChanged: data.sha256 != dataSHA,
            missingLayers: plan.layers.keys.filter { !known.contains($0) }.sorted(),
            layersWithoutEntry: planned.isEmpty ? [] : layerNames.filter { !planned.contains($0) })
    }

    /// The plan without entries for layers the model lacks, so the rest still applies.
    public func plan(applicableTo layerNames: [String]) -> QuantPlan {
        plan.restricted(to: layerNames)
    }
}

/// What differs between a preset and the model and data it is loaded with.
///
/// The dashboard warns with `warnings` and still loads the plan where layer names match
/// (`SessionPreset.plan(applicableTo:)`).
public struct SessionCompatibility: Sendable, Equatable {
    /// The model file's SHA-256 differs from the one recorded.
    public var isModelChanged: Bool
    /// The data's SHA-256 differs from the one recorded.
    public var isDataChanged: Bool
    /// Layers the plan has entries for that the model lacks, sorted (renamed or removed layers).
    public var missingLayers: [String]
    /// Model layers the plan has no entry for, in model order, when the plan has any entries
    /// (they get the defaults; with renamed layers, these are the new names).
    public var layersWithoutEntry: [String]

    /// Creates a compatibility report.
    public init(isModelChanged: Bool, isDataChanged: Bool, missingLayers: [String], layersWithoutEntry: [String]) {
        self.isModelChanged = isModelChanged
        self.isDataChanged = isDataChanged
        self.missingLayers = missingLayers
        self.layersWithoutEntry = layersWithoutEntry
    }

    /// Whether the preset applies exactly as saved.
    public var isExactMatch: Bool { !isModelChanged && !isDataChanged && missingLayers.isEmpty }

    /// One line per problem, for the dashboard's warning; empty for an exact match.
    public var warnings: [String] {
        var lines: [String] = []
        if isModelChanged { lines.append("the model file changed since the preset was saved (SHA-256 differs)") }
        if isDataChanged { lines.append("the data changed since the preset was saved (SHA-256 differs)") }
        if !missingLayers.isEmpty {
            var line =
                "the model has no layer named \(missingLayers.joined(separator: ", ")); those entries are ignored"
            if !layersWithoutEntry.isEmpty {
                line += " (layers using the defaults: \(PlanError.briefList(layersWithoutEntry)))"
            }
            lines.append(line)
        }
        return lines
    }
}

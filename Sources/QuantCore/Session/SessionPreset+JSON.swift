import Foundation

/// The session file's JSON: strict decoding (version first, then unknown fields, then each field
/// in turn) and stable encoding (optional fields left out when absent).
extension SessionPreset: Codable {
    /// The top-level fields of a session file.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The session-file version, 1.
        case version
        /// The preset's name.
        case name
        /// The model file.
        case model
        /// The held-out data.
        case data
        /// The embedded plan.
        case plan
        /// Free text.
        case notes
        /// The last results.
        case results
        /// First saved (ISO 8601).
        case createdAt
        /// Last changed (ISO 8601).
        case updatedAt
        /// The preset an autosave started from.
        case basedOn
        /// View state.
        case view
        /// The budgets, as one line (`Budgets.text`).
        case budgets
        /// The sensitivity analysis's evaluations (`SavedSensitivity`).
        case sensitivity
    }

    /// Decodes and checks a session file; see `SessionPreset`.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        let versionKey = PlanKey(CodingKeys.version)
        guard container.contains(versionKey) else { throw SessionError.unsupportedVersion(file: "", found: nil) }
        let version = try PlanDecoding.int(container, versionKey, path: path, expected: "a whole-number version")
        guard let version, version == SessionPreset.currentVersion else {
            throw SessionError.unsupportedVersion(file: "", found: version)
        }
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)

        func required<T: Decodable>(_ key: CodingKeys, _ type: T.Type) throws -> T {
            try PlanDecoding.required(PlanKey(key), path: path) {
                container.contains($0) ? try container.decode(type, forKey: $0) : nil
            }
        }
        func presetName(_ key: CodingKeys) throws -> String? {
            let text = try PlanDecoding.string(container, PlanKey(key), path: path, expected: "a preset name")
            if let text, let problem = SessionStore.nameProblem(text) {
                throw PlanError.invalidField(file: "", path: path.appending(key.rawValue).description, problem: problem)
            }
            return text
        }
        func timestamp(_ key: CodingKeys) throws -> Date {
            try PlanDecoding.required(PlanKey(key), path: path) {
                try PlanDecoding.timestamp(container, $0, path: path)
            }
        }

        let name = try PlanDecoding.required(PlanKey(CodingKeys.name), path: path) { _ in try presetName(.name) }
        let model = try required(.model, FileReference.self)
        let data = try required(.data, FileReference.self)
        let plan = try required(.plan, QuantPlan.self)
        let notes = try PlanDecoding.string(container, PlanKey(CodingKeys.notes), path: path, expected: "text") ?? ""
        let resultsKey = PlanKey(CodingKeys.results)
        let results = container.contains(resultsKey) ? try container.decode(PlanResults.self, forKey: resultsKey) : nil
        let createdAt = try timestamp(.createdAt)
        let updatedAt = try timestamp(.updatedAt)
        let basedOn = try presetName(.basedOn)
        let viewKey = PlanKey(CodingKeys.view)
        let view = container.contains(viewKey) ? try container.decode(ViewState.self, forKey: viewKey) : nil
        let budgetsKey = PlanKey(CodingKeys.budgets)
        var budgets: Budgets?
        if let line = try PlanDecoding.string(container, budgetsKey, path: path, expected: "budgets such as \"1pt 8x\"")
        {
            do {
                budgets = try Budgets(parsing: line)
            } catch {
                throw PlanError.invalidField(
                    file: "", path: path.appending(CodingKeys.budgets.rawValue).description, problem: "\(error)")
            }
        }
        let sensitivityKey = PlanKey(CodingKeys.sensitivity)
        let sensitivity =
            container.contains(sensitivityKey)
            ? try container.decode(SavedSensitivity.self, forKey: sensitivityKey) : nil
        self.init(
            name: name, model: model, data: data, plan: plan, notes: notes, results: results, createdAt: createdAt,
            updatedAt: updatedAt, basedOn: basedOn, view: view, budgets: budgets, sensitivity: sensitivity)
    }

    /// Writes the session file's fields; `results`, `basedOn` and `view` only when set.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(name, forKey: .name)
        try container.encode(model, forKey: .model)
        try container.encode(data, forKey: .data)
        try container.encode(plan, forKey: .plan)
        try container.encode(notes, forKey: .notes)
        try container.encodeIfPresent(results, forKey: .results)
        try container.encode(Timestamp.string(from: createdAt), forKey: .createdAt)
        try container.encode(Timestamp.string(from: updatedAt), forKey: .updatedAt)
        try container.encodeIfPresent(basedOn, forKey: .basedOn)
        try container.encodeIfPresent(view, forKey: .view)
        if let budgets, !budgets.isEmpty { try container.encode(budgets.text, forKey: .budgets) }
        try container.encodeIfPresent(sensitivity, forKey: .sensitivity)
    }
}

extension SessionPreset.ViewState: Codable {
    /// The fields of the `"view"` object.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The selected layer's name.
        case selectedLayer
    }

    /// Decodes and checks the view state.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        selectedLayer = try PlanDecoding.nonEmptyString(
            container, PlanKey(CodingKeys.selectedLayer), path: path, expected: "a layer name")
    }

    /// Writes the view state's fields that are set.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(selectedLayer, forKey: .selectedLayer)
    }
}

import Foundation

/// The exact evaluations a sensitivity analysis measured, as a session preset keeps them
/// (`"sensitivity"`, issue 14): a reopened session gets its sensitivity column, pane and
/// diagnosis back at once instead of measuring them again.
///
/// Each record is one evaluated plan, written as its difference from the float model or from
/// the preset's plan (whichever is shorter: "only this layer" plans are one layer off float,
/// "all but this one" plans one layer off the plan), with its per-sample correctness as bits.
/// Records are restored only into an analysis of the same model file, data and sample count
/// (`Sensitivity.restore(_:plan:)`), so a stale record can never show.
public struct SavedSensitivity: Sendable, Equatable, Codable {
    /// What a record's plan is written relative to.
    public enum Base: String, Sendable, Equatable, Codable, CaseIterable {
        /// Every layer float.
        case float
        /// The preset's plan.
        case plan
    }

    /// One evaluated plan.
    public struct Record: Sendable, Equatable, Codable {
        /// What `changes` apply to.
        public var base: Base
        /// The layers whose settings differ from `base` (an empty entry makes a layer float).
        public var changes: QuantPlan
        /// Per sample, whether top-1 is right: bit `i % 8` of byte `i / 8`, base64.
        public var correct: String
        /// Share of predictions equal to the float model's.
        public var agreement: Double
        /// The model's stored size in bytes.
        public var bytes: Int

        /// Creates a record.
        public init(base: Base, changes: QuantPlan, correct: String, agreement: Double, bytes: Int) {
            self.base = base
            self.changes = changes
            self.correct = correct
            self.agreement = agreement
            self.bytes = bytes
        }

        /// The fields of a record.
        enum CodingKeys: String, CodingKey, CaseIterable {
            case base, changes, correct, agreement, bytes
        }

        /// Strict reading: every field required, unknown fields and wrong values named by path.
        public init(from decoder: Decoder) throws {
            let path = PlanPath(decoder.codingPath)
            let container = try PlanDecoding.object(decoder, path: path)
            try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
            func key(_ key: CodingKeys) -> PlanKey { PlanKey(key) }
            base = try PlanDecoding.required(key(.base), path: path) {
                try PlanDecoding.name(container, $0, path: path, what: "base")
            }
            changes = try PlanDecoding.required(key(.changes), path: path) {
                container.contains($0) ? try container.decode(QuantPlan.self, forKey: $0) : nil
            }
            correct = try PlanDecoding.required(key(.correct), path: path) {
                try PlanDecoding.string(container, $0, path: path, expected: "base64 bits")
            }
            agreement = try PlanDecoding.required(key(.agreement), path: path) {
                try PlanDecoding.double(container, $0, path: path, in: 0...1, described: "0…1")
            }
            bytes = try PlanDecoding.required(key(.bytes), path: path) {
                try PlanDecoding.int(container, $0, path: path, atLeast: 0)
            }
        }
    }

    /// The fields of the `"sensitivity"` object.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case modelSHA256, dataSHA256, sampleCount, records
    }

    /// Strict reading, as the rest of a session file.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        func key(_ key: CodingKeys) -> PlanKey { PlanKey(key) }
        modelSHA256 = try PlanDecoding.required(key(.modelSHA256), path: path) {
            try PlanDecoding.nonEmptyString(container, $0, path: path, expected: "a digest")
        }
        dataSHA256 = try PlanDecoding.required(key(.dataSHA256), path: path) {
            try PlanDecoding.nonEmptyString(container, $0, path: path, expected: "a digest")
        }
        sampleCount = try PlanDecoding.required(key(.sampleCount), path: path) {
            try PlanDecoding.int(container, $0, path: path, atLeast: 0)
        }
        records = try PlanDecoding.required(key(.records), path: path) {
            container.contains($0) ? try container.decode([Record].self, forKey: $0) : nil
        }
    }

    /// SHA-256 of the model file analysed.
    public var modelSHA256: String
    /// SHA-256 identifying the analysed samples.
    public var dataSHA256: String
    /// Samples analysed.
    public var sampleCount: Int
    /// The evaluations, in a stable order.
    public var records: [Record]

    /// Creates a saved analysis.
    public init(modelSHA256: String, dataSHA256: String, sampleCount: Int, records: [Record]) {
        self.modelSHA256 = modelSHA256
        self.dataSHA256 = dataSHA256
        self.sampleCount = sampleCount
        self.records = records
    }

    /// `flags` packed eight to a byte, base64.
    static func pack(_ flags: [Bool]) -> String {
        var bytes = [UInt8](repeating: 0, count: (flags.count + 7) / 8)
        for (index, flag) in flags.enumerated() where flag { bytes[index / 8] |= 1 << UInt8(index % 8) }
        return Data(bytes).base64EncodedString()
    }

    /// The first `count` flags of `text` (see `pack`), or `nil` when it holds fewer or is not base64.
    static func unpack(_ text: String, count: Int) -> [Bool]? {
        guard let data = Data(base64Encoded: text), data.count == (count + 7) / 8 else { return nil }
        let bytes = [UInt8](data)
        return (0..<count).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    }
}

extension Sensitivity {
    /// Every evaluation measured so far, written relative to `plan` where that is shorter.
    public func saved(relativeTo plan: QuantPlan) -> SavedSensitivity {
        let planLayers = key(plan).layers
        let entries = cachedEvaluations()
        var records: [SavedSensitivity.Record] = []
        for (layers, evaluation) in entries {
            var fromPlan: [String: LayerSettings] = [:]
            for name in Set(layers.keys).union(planLayers.keys) where layers[name] != planLayers[name] {
                fromPlan[name] = layers[name] ?? .float
            }
            let (base, changes): (SavedSensitivity.Base, [String: LayerSettings]) =
                fromPlan.count < layers.count ? (.plan, fromPlan) : (.float, layers)
            records.append(
                SavedSensitivity.Record(
                    base: base, changes: QuantPlan(layers: changes), correct: SavedSensitivity.pack(evaluation.correct),
                    agreement: evaluation.agreement, bytes: evaluation.bytes))
        }
        // A stable order (by base, then the changes as JSON): the same results save to the same bytes.
        func order(_ record: SavedSensitivity.Record) -> String {
            let changes = (try? record.changes.encoded()).flatMap { String(data: $0, encoding: .utf8) } ?? ""
            return record.base.rawValue + "\n" + changes
        }
        records = records.map { (order($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        return SavedSensitivity(
            modelSHA256: modelSHA256, dataSHA256: dataSHA256, sampleCount: workbench.heldOut.count, records: records)
    }

    /// Puts the evaluations of `saved` (written relative to `plan`) into the cache, when they
    /// were measured on this model file and these samples; records naming layers this model
    /// lacks or holding the wrong number of samples are skipped.
    ///
    /// - Returns: how many evaluations were restored.
    @discardableResult
    public func restore(_ saved: SavedSensitivity, plan: QuantPlan) -> Int {
        let count = workbench.heldOut.count
        guard saved.modelSHA256 == modelSHA256, saved.dataSHA256 == dataSHA256, saved.sampleCount == count else {
            return 0
        }
        let known = Set(workbench.layerNames)
        let planLayers = key(plan).layers
        var restored: [[String: LayerSettings]: PlanEvaluation] = [:]
        for record in saved.records {
            guard record.changes.layers.keys.allSatisfy(known.contains), record.bytes >= 0,
                (0...1).contains(record.agreement),
                let correct = SavedSensitivity.unpack(record.correct, count: workbench.heldOut.labels.count)
            else { continue }
            var layers = record.base == .plan ? planLayers : [:]
            for (name, settings) in record.changes.layers { layers[name] = settings }
            layers = layers.filter { $0.value != .float }
            restored[layers] = PlanEvaluation(
                correct: correct, correctCount: correct.filter { $0 }.count, agreement: record.agreement,
                bytes: record.bytes)
        }
        insertCached(restored)
        return restored.count
    }
}

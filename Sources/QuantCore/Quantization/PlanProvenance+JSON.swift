import Foundation

// Strict JSON for the provenance records: unknown fields, `null`, wrong types and out-of-range
// values are `PlanError.invalidField` naming the field's path (e.g. `provenance.results.top1`).

extension PlanProvenance: Codable {
    /// The fields of a `"provenance"` object.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// When the plan was exported (ISO 8601).
        case exportedAt
        /// The model file.
        case model
        /// The held-out data.
        case data
        /// Calibration images used, if any.
        case calibrationCount
        /// The results the plan produced.
        case results
    }

    /// Decodes and checks a provenance object.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        let exportedAt = try PlanDecoding.required(PlanKey(CodingKeys.exportedAt), path: path) {
            try PlanDecoding.timestamp(container, $0, path: path)
        }
        let model = try PlanDecoding.required(PlanKey(CodingKeys.model), path: path) {
            container.contains($0) ? try container.decode(FileReference.self, forKey: $0) : nil
        }
        let data = try PlanDecoding.required(PlanKey(CodingKeys.data), path: path) {
            container.contains($0) ? try container.decode(FileReference.self, forKey: $0) : nil
        }
        let calibrationCount = try PlanDecoding.int(
            container, PlanKey(CodingKeys.calibrationCount), path: path, atLeast: 1)
        let resultsKey = PlanKey(CodingKeys.results)
        let results = container.contains(resultsKey) ? try container.decode(PlanResults.self, forKey: resultsKey) : nil
        self.init(
            exportedAt: exportedAt, model: model, data: data, calibrationCount: calibrationCount, results: results)
    }

    /// Writes the record; absent optional fields are left out.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Timestamp.string(from: exportedAt), forKey: .exportedAt)
        try container.encode(model, forKey: .model)
        try container.encode(data, forKey: .data)
        try container.encodeIfPresent(calibrationCount, forKey: .calibrationCount)
        try container.encodeIfPresent(results, forKey: .results)
    }
}

extension FileReference: Codable {
    /// The fields of a file reference.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The path or name as given.
        case path
        /// The separate labels file of a data set.
        case labelsPath = "labels"
        /// The SHA-256 of the bytes.
        case sha256
    }

    /// Decodes and checks a file reference.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        let filePath = try PlanDecoding.required(PlanKey(CodingKeys.path), path: path) {
            try PlanDecoding.nonEmptyString(container, $0, path: path, expected: "a path")
        }
        let labels = try PlanDecoding.nonEmptyString(
            container, PlanKey(CodingKeys.labelsPath), path: path, expected: "a path")
        let sha256 = try PlanDecoding.required(PlanKey(CodingKeys.sha256), path: path) {
            try PlanDecoding.sha256(container, $0, path: path)
        }
        self.init(path: filePath, labelsPath: labels, sha256: sha256)
    }

    /// Writes the reference; `labels` only when set.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encodeIfPresent(labelsPath, forKey: .labelsPath)
        try container.encode(sha256, forKey: .sha256)
    }
}

extension PlanResults: Codable {
    /// The fields of a results object.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// Held-out top-1.
        case top1
        /// Held-out top-5.
        case top5
        /// Mean negative log-likelihood.
        case meanNLL = "nll"
        /// Agreement with the float model.
        case agreement
        /// Samples evaluated.
        case count
        /// Whether the whole held-out set was evaluated.
        case isExact
        /// Exported bytes.
        case sizeBytes
        /// float32 bytes.
        case floatBytes
        /// float / exported bytes.
        case compressionRatio
        /// Per-layer results.
        case layers
        /// Fidelity to the float model.
        case fidelity
    }

    /// Decodes and checks a results object.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        func fraction(_ key: CodingKeys) throws -> Double? {
            try PlanDecoding.double(container, PlanKey(key), path: path, in: 0...1, described: "0…1")
        }
        func required<T>(_ key: CodingKeys, _ read: (CodingKeys) throws -> T?) throws -> T {
            try PlanDecoding.required(PlanKey(key), path: path) { _ in try read(key) }
        }
        func count(_ key: CodingKeys) throws -> Int? {
            try PlanDecoding.int(container, PlanKey(key), path: path, atLeast: 0)
        }
        top1 = try required(.top1, fraction)
        top5 = try required(.top5, fraction)
        // Left out when no sample's output was finite (then there is no mean).
        meanNLL =
            try PlanDecoding.double(
                container, PlanKey(CodingKeys.meanNLL), path: path, in: 0...Double.greatestFiniteMagnitude,
                described: "≥ 0")
            ?? .nan
        agreement = try fraction(.agreement)
        self.count = try required(.count, count)
        isExact = try required(.isExact) { try PlanDecoding.bool(container, PlanKey($0), path: path) }
        sizeBytes = try required(.sizeBytes, count)
        floatBytes = try required(.floatBytes, count)
        compressionRatio = try required(.compressionRatio) {
            try PlanDecoding.double(
                container, PlanKey($0), path: path, in: Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude,
                described: "> 0")
        }
        let layersKey = PlanKey(CodingKeys.layers)
        if container.contains(layersKey) {
            guard var list = try? container.nestedUnkeyedContainer(forKey: layersKey) else {
                throw PlanDecoding.wrongValue(container, layersKey, path: path, expected: "a list of layer results")
            }
            var layers: [LayerResult] = []
            while !list.isAtEnd {
                layers.append(try list.decode(LayerResult.self))
            }
            self.layers = layers
        } else {
            layers = []
        }
        fidelity = try container.decodeIfPresent(CheckedFidelity.self, forKey: PlanKey(CodingKeys.fidelity))?.value
    }

    /// Writes the results; `agreement` when measured, `layers` when not empty.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(top1, forKey: .top1)
        try container.encode(top5, forKey: .top5)
        if meanNLL.isFinite { try container.encode(meanNLL, forKey: .meanNLL) }
        try container.encodeIfPresent(agreement, forKey: .agreement)
        try container.encode(count, forKey: .count)
        try container.encode(isExact, forKey: .isExact)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(floatBytes, forKey: .floatBytes)
        try container.encode(compressionRatio, forKey: .compressionRatio)
        if !layers.isEmpty { try container.encode(layers, forKey: .layers) }
        try container.encodeIfPresent(fidelity, forKey: .fidelity)
    }
}

/// A `fidelity` object read with the plan file's checks: known keys only, each value in range.
private struct CheckedFidelity: Decodable {
    /// The fidelity read.
    let value: Fidelity

    /// The fields of a fidelity object.
    enum Keys: String, CodingKey, CaseIterable {
        case agreement, kl, cosine, relativeMSE, neighbours
    }

    init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: Keys.allCases.map(\.rawValue), path: path)
        func number(_ key: Keys, _ range: ClosedRange<Double>, _ described: String) throws -> Double? {
            try PlanDecoding.double(container, PlanKey(key), path: path, in: range, described: described)
        }
        func required(_ key: Keys, _ range: ClosedRange<Double>, _ described: String) throws -> Double {
            try PlanDecoding.required(PlanKey(key), path: path) { _ in try number(key, range, described) }
        }
        let nonNegative = 0...Double.greatestFiniteMagnitude
        value = Fidelity(
            agreement: try required(.agreement, 0...1, "0…1"), kl: try number(.kl, nonNegative, "≥ 0"),
            cosine: try required(.cosine, -1...1, "−1…1"),
            relativeMSE: try required(.relativeMSE, nonNegative, "≥ 0"),
            neighbours: try number(.neighbours, 0...1, "0…1"))
    }
}

extension PlanResults.LayerResult: Codable {
    /// The fields of one layer's result.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The layer's name.
        case name
        /// Stored bytes.
        case bytes
        /// Weight SQNR in dB.
        case sqnrDecibels
    }

    /// Decodes and checks one layer's result.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)
        name = try PlanDecoding.required(PlanKey(CodingKeys.name), path: path) {
            try PlanDecoding.nonEmptyString(container, $0, path: path, expected: "a layer name")
        }
        bytes = try PlanDecoding.required(PlanKey(CodingKeys.bytes), path: path) {
            try PlanDecoding.int(container, $0, path: path, atLeast: 0)
        }
        sqnrDecibels = try PlanDecoding.double(
            container, PlanKey(CodingKeys.sqnrDecibels), path: path,
            in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, described: "finite")
    }

    /// Writes the layer's result; `sqnrDecibels` only when there is an error to measure.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(bytes, forKey: .bytes)
        try container.encodeIfPresent(sqnrDecibels, forKey: .sqnrDecibels)
    }
}

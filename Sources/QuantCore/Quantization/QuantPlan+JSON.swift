import Foundation

/// The plan file's top level: `{ "version": 1, "default": {…}, "layers": { "<layer>": {…} } }`,
/// plus an optional `"provenance": {…}` (`PlanProvenance`) that exports add.
///
/// Decoding is strict: the version is checked first, then every object is checked for unknown
/// fields, and every value for type and range; the first problem becomes a `PlanError` naming the
/// field's JSON path. Layer entries are decoded in sorted name order so the same file always
/// reports the same first problem. Field semantics and merging live in `PlanEntry`.
extension QuantPlan: Codable {
    /// The top-level fields of a plan file.
    enum CodingKeys: String, CodingKey, CaseIterable {
        /// The plan-file version, 1.
        case version
        /// Settings for layers without an entry.
        case defaults = "default"
        /// Per-layer entries by layer name.
        case layers
        /// Where an exported plan came from and what it produced (optional, ignored when applying).
        case provenance
    }

    /// Decodes and checks a plan; see `docs/plan-format.md` for the format.
    public init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        let versionKey = PlanKey(CodingKeys.version)
        guard container.contains(versionKey) else {
            throw PlanError.unsupportedVersion(file: "", found: nil)
        }
        let version = try PlanDecoding.int(
            container, versionKey, path: path, expected: "a whole-number version")
        guard let version, version == QuantPlan.currentVersion else {
            throw PlanError.unsupportedVersion(file: "", found: version)
        }
        try PlanDecoding.rejectUnknownKeys(container, known: CodingKeys.allCases.map(\.rawValue), path: path)

        let defaultsKey = PlanKey(CodingKeys.defaults)
        var defaults = LayerSettings.float
        if container.contains(defaultsKey) {
            let entry = try container.decode(PlanEntry.self, forKey: defaultsKey)
            defaults = try entry.applied(to: .float, path: path.appending(defaultsKey.stringValue))
        }

        var layers: [String: LayerSettings] = [:]
        let layersKey = PlanKey(CodingKeys.layers)
        if container.contains(layersKey) {
            let layersPath = path.appending(layersKey.stringValue)
            let entries: KeyedDecodingContainer<PlanKey>
            do {
                entries = try container.nestedContainer(keyedBy: PlanKey.self, forKey: layersKey)
            } catch {
                throw PlanError.invalidField(
                    file: "", path: layersPath.description,
                    problem: "expected an object mapping layer names to settings, found "
                        + PlanDecoding.describe(container, layersKey))
            }
            for key in entries.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                let layerPath = layersPath.appending(key.stringValue)
                guard !key.stringValue.isEmpty else {
                    throw PlanError.invalidField(
                        file: "", path: layerPath.description, problem: "a layer name must not be empty")
                }
                let entry = try entries.decode(PlanEntry.self, forKey: key)
                layers[key.stringValue] = try entry.applied(to: defaults, path: layerPath)
            }
        }
        let provenanceKey = PlanKey(CodingKeys.provenance)
        var provenance: PlanProvenance?
        if container.contains(provenanceKey) {
            provenance = try container.decode(PlanProvenance.self, forKey: provenanceKey)
        }
        self.init(defaults: defaults, layers: layers, provenance: provenance)
    }

    /// Encodes the plan: `"default"` in full, each layer as its differences from the defaults.
    public func encode(to encoder: Encoder) throws {
        let path = PlanPath(encoder.codingPath)
        try PlanEntry.check(defaults, path: path.appending(CodingKeys.defaults.rawValue))
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(PlanEntry(complete: defaults), forKey: .defaults)
        var entries: [String: PlanEntry] = [:]
        for (name, settings) in layers {
            try PlanEntry.check(settings, path: path.appending(CodingKeys.layers.rawValue).appending(name))
            entries[name] = PlanEntry(settings, differingFrom: defaults)
        }
        try container.encode(entries, forKey: .layers)
        try container.encodeIfPresent(provenance, forKey: .provenance)
    }
}

/// A JSON path such as `layers.fc1.prune.threshold`, for error messages.
///
/// Components containing characters that would make the dotted form ambiguous (dots, spaces,
/// brackets, quotes) or that are empty are written as `["conv1.weight"]`.
struct PlanPath: Sendable, Equatable, CustomStringConvertible {
    /// The keys from the outermost inwards (list positions as decimal text).
    var components: [String]
    /// The positions in `components` that are list indices, written `[2]`.
    var indexPositions: Set<Int> = []

    /// The path of the document itself.
    static let root = PlanPath(components: [])

    /// The path a `Decoder` or `Encoder` is at.
    init(_ codingPath: [CodingKey]) {
        components = codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        indexPositions = Set(codingPath.indices.filter { codingPath[$0].intValue != nil })
    }

    /// A path made of the given keys.
    init(components: [String]) {
        self.components = components
    }

    /// The path of the field `key` inside this one.
    func appending(_ key: String) -> PlanPath {
        var path = self
        path.components.append(key)
        return path
    }

    /// The dotted form, `plan` for the root.
    var description: String {
        guard !components.isEmpty else { return "plan" }
        var result = ""
        for (position, rawComponent) in components.enumerated() {
            let component = Printable.name(rawComponent)
            if indexPositions.contains(position) {
                result += "[\(component)]"
                continue
            }
            let needsQuoting =
                component.isEmpty || component.contains(where: { ".[]\" ".contains($0) })
            if needsQuoting {
                let escaped = component.replacingOccurrences(of: "\"", with: "\\\"")
                result += "[\"\(escaped)\"]"
            } else {
                result += result.isEmpty ? component : ".\(component)"
            }
        }
        return result
    }

    /// The path of a layer's entry, e.g. `layers.fc1`.
    static func layer(_ name: String) -> String {
        root.appending(QuantPlan.CodingKeys.layers.rawValue).appending(name).description
    }
}

/// Any JSON object key, so unknown fields can be seen (a `CodingKeys` enum drops them).
struct PlanKey: CodingKey, Hashable {
    /// The key as written in the file.
    var stringValue: String
    /// Plan keys are never integers.
    var intValue: Int? { nil }

    /// Wraps a key from the file.
    init(stringValue: String) {
        self.stringValue = stringValue
    }

    /// Plan keys are never integers.
    init?(intValue: Int) {
        return nil
    }

    /// The key with the same name as a typed coding key.
    init(_ key: some CodingKey) {
        stringValue = key.stringValue
    }

    /// A key written as a string literal in the decoding code.
    static func named(_ name: String) -> PlanKey { PlanKey(stringValue: name) }
}

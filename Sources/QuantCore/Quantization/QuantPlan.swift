import Foundation

/// How every layer of a model is quantized: default settings plus per-layer overrides.
///
/// The plan file is JSON (see `docs/plan-format.md` and `QuantPlan+JSON.swift`):
/// ```
/// { "version": 1,
///   "default": { "bits": 8, "scheme": "symmetric", "granularity": "channel" },
///   "layers": { "fc1": { "bits": 4, "prune": { "threshold": 0.02 } } } }
/// ```
/// In memory every override is a complete `LayerSettings`; in the file a layer entry lists only
/// the fields that differ from `"default"` (absent fields are taken from `"default"`).
public struct QuantPlan: Sendable, Equatable {
    /// The plan-file version this build reads and writes.
    public static let currentVersion = 1

    /// The plan-file version of this plan (always `currentVersion`; older or newer files are rejected).
    public var version: Int { QuantPlan.currentVersion }
    /// Settings for every layer without an override (float when the file has no `"default"`).
    public var defaults: LayerSettings
    /// Complete settings for the layers that have an entry in the plan, keyed by layer name.
    public var layers: [String: LayerSettings]
    /// Where an exported plan came from and what it produced (`"provenance"`); never affects
    /// how layers are quantized.
    public var provenance: PlanProvenance?

    /// Creates a plan; with no arguments every layer stays float.
    public init(
        defaults: LayerSettings = .float, layers: [String: LayerSettings] = [:], provenance: PlanProvenance? = nil
    ) {
        self.defaults = defaults
        self.layers = layers
        self.provenance = provenance
    }

    /// The settings that apply to `layer`: its override, or the defaults.
    public func settings(for layer: String) -> LayerSettings {
        layers[layer] ?? defaults
    }

    /// Checks that every setting is in range and every overridden layer exists in the model.
    ///
    /// - Parameters:
    ///   - layerNames: the model's layer names (`Graph.layers.map(\.name)`).
    ///   - file: the plan's file, named in the error (empty when unknown).
    /// - Throws: `PlanError.invalidField` for a bad setting, `PlanError.unknownLayer` naming the
    ///   first unknown layer (in sorted order) and listing valid names briefly.
    public func validated(against layerNames: [String], file: String = "") throws {
        do {
            try PlanEntry.check(defaults, path: PlanPath.root.appending("default"))
            for name in layers.keys.sorted() {
                if let settings = layers[name] {
                    try PlanEntry.check(settings, path: PlanPath.root.appending("layers").appending(name))
                }
            }
        } catch let error as PlanError {
            throw error.inFile(file)
        }
        let known = Set(layerNames)
        if let unknown = layers.keys.sorted().first(where: { !known.contains($0) }) {
            throw PlanError.unknownLayer(file: file, name: unknown, validNames: layerNames)
        }
    }

    /// The same plan with an explicit entry for every layer of the model, in the model's terms.
    ///
    /// Layers without an override get the defaults; overrides for names not in `layers` are
    /// dropped (call `validated(against:)` first to report them instead). The provenance is kept.
    public func normalized(for layers: [Layer]) -> QuantPlan {
        var explicit: [String: LayerSettings] = [:]
        for layer in layers {
            explicit[layer.name] = settings(for: layer.name)
        }
        return QuantPlan(defaults: defaults, layers: explicit, provenance: provenance)
    }

    /// The same plan without the overrides for layers not in `layerNames` (a model whose layers
    /// were renamed or removed); the defaults and provenance are kept.
    public func restricted(to layerNames: [String]) -> QuantPlan {
        let known = Set(layerNames)
        return QuantPlan(defaults: defaults, layers: layers.filter { known.contains($0.key) }, provenance: provenance)
    }
}

// MARK: - Files

extension QuantPlan {
    /// The plan as normalized, human-readable JSON (sorted keys, pretty printed, UTF-8).
    ///
    /// `"default"` is written in full; each layer entry lists only the fields that differ from
    /// the defaults (an empty object when none do). Decoding the result gives an equal plan.
    /// - Throws: `PlanError.invalidField` when a setting is out of range (plans built in code).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(self)
            data.append(contentsOf: Array("\n".utf8))
            return data
        } catch let error as PlanError {
            throw error
        } catch {
            throw PlanError.invalidField(file: "", path: "plan", problem: "cannot be written: \(error)")
        }
    }

    /// Decodes a plan from JSON bytes, naming `file` in any error.
    ///
    /// - Throws: `PlanError` (malformed JSON, unsupported version, unknown or invalid field).
    public static func decoded(from data: Data, file: String) throws -> QuantPlan {
        if let problem = PlanDecoding.nestingProblem(in: data) {  // before Foundation's decoder traps on it
            throw PlanError.malformedJSON(file: file, detail: PlanDecoding.syntaxProblem(in: data) ?? problem)
        }
        if PlanDecoding.syntaxProblem(in: data) == nil, let key = JSONDuplicateKeys.first(in: [UInt8](data)) {
            throw PlanError.malformedJSON(
                file: file, detail: "the key \(Printable.name(key)) appears twice in one object (which one counts?)")
        }
        do {
            return try JSONDecoder().decode(QuantPlan.self, from: data)
        } catch let error as PlanError {
            throw error.inFile(file)
        } catch let error as DecodingError {
            if let problem = PlanDecoding.syntaxProblem(in: data) {
                throw PlanError.malformedJSON(file: file, detail: problem)
            }
            throw PlanDecoding.planError(from: error).inFile(file)
        } catch {
            throw PlanError.malformedJSON(file: file, detail: PlanDecoding.oneLine("\(error)"))
        }
    }

    /// Reads and decodes the plan file at `url`.
    ///
    /// - Throws: `PlanError.unreadable` when the file cannot be read, otherwise as `decoded(from:file:)`.
    public static func load(contentsOf url: URL) throws -> QuantPlan {
        let file = url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PlanError.unreadable(file: file, reason: PlanDecoding.readFailureReason(error, url: url))
        }
        return try decoded(from: data, file: file)
    }

    /// Writes the plan to `url` atomically (old content or new, never a mix).
    ///
    /// - Throws: `PlanError.invalidField` for out-of-range settings, `PlanError.writeFailed` otherwise.
    public func write(to url: URL) throws {
        let file = url.relativePath
        let data: Data
        do {
            data = try encoded()
        } catch let error as PlanError {
            throw error.inFile(file)
        }
        do {
            try AtomicFile.write(data, to: url)
        } catch let ModelIOError.writeFailed(_, reason) {
            throw PlanError.writeFailed(file: file, reason: reason)
        } catch {
            throw PlanError.writeFailed(file: file, reason: "\(error)")
        }
    }
}

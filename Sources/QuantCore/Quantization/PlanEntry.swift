import Foundation

/// One settings object of the plan file (`"default"` or a layer entry) exactly as written:
/// every field is optional, and an absent field means "inherit".
///
/// | field            | values                                                         |
/// | ---------------- | -------------------------------------------------------------- |
/// | `bits`           | 1…16 or `"float"` (allowed widths depend on `scheme`)          |
/// | `scheme`         | `Scheme` raw values: `symmetric`, `asymmetric`, `nf4`, …       |
/// | `granularity`    | `tensor`, `channel`, `group` (with `groupSize` ≥ 1)            |
/// | `range`          | `minmax`, `percentile` (with `percentile` in (0, 100]), `mse`  |
/// | `rounding`       | `nearest-even`, `stochastic` (with `seed` ≥ 0), `learned`      |
/// | `prune`          | `{ "threshold": t ≥ 0 }`, `{ "sparsity": 0 ≤ s < 1 }`, `{ "pattern": "N:M" }`, `{ "filters": 0 ≤ s < 1 }`, `"none"` |
/// | `activationBits` | 1…16 or `"float"`                                              |
/// | `calibration`    | `minmax`, `percentile`, `entropy`, `mse`                       |
/// | `biasCorrection` | `true` or `false` (absorb the weights' mean output error)      |
/// | `equalize`       | `true` or `false` (cross-layer equalize with the next layer)   |
/// | `fractionBits`   | −32…64 or `"auto"`; only with scheme `fixed-point` (step 2^-n)  |
struct PlanEntry: Codable, Equatable {
    /// A weight or activation bit width, or float.
    enum BitWidth: Equatable {
        /// Not quantized.
        case float
        /// Quantized with this many bits.
        case bits(Int)
    }

    /// Fixed-point fraction bits: the data-derived default, or a set `n`.
    enum FractionBits: Equatable {
        /// `"auto"`: the largest `n` that fits each block's `max |w|`.
        case auto
        /// `n` fraction bits (step `2^-n`).
        case bits(Int)
    }

    /// A `prune` value: explicitly none, or a rule.
    enum Pruning: Equatable {
        /// `"prune": "none"` — no pruning even if `"default"` prunes.
        case none
        /// Prune by this rule.
        case rule(PruningRule)
    }

    /// The JSON names of `Granularity` cases.
    enum GranularityName: String, CaseIterable {
        /// `Granularity.tensor`.
        case tensor
        /// `Granularity.channel`.
        case channel
        /// `Granularity.group(size:)`, with `groupSize`.
        case group
    }

    /// The JSON names of `RangeMethod` cases.
    enum RangeName: String, CaseIterable {
        /// `RangeMethod.minMax`.
        case minmax
        /// `RangeMethod.percentile(_:)`, with `percentile`.
        case percentile
        /// `RangeMethod.mse`.
        case mse
    }

    /// The JSON names of `Rounding` cases.
    enum RoundingName: String, CaseIterable {
        /// `Rounding.nearestEven`.
        case nearestEven = "nearest-even"
        /// `Rounding.stochastic(seed:)`, with `seed`.
        case stochastic
        /// `Rounding.learned` (AdaRound on the calibration set).
        case learned
    }

    /// The fields of a settings object, in the order they are documented.
    enum Field: String, CaseIterable {
        /// Weight bit width or `"float"`.
        case bits
        /// Scheme name.
        case scheme
        /// Granularity name.
        case granularity
        /// Group size for granularity `group`.
        case groupSize
        /// Range method name.
        case range
        /// Percentile for range `percentile`.
        case percentile
        /// Rounding name.
        case rounding
        /// Seed for rounding `stochastic`.
        case seed
        /// Pruning rule object or `"none"`.
        case prune
        /// Activation bit width or `"float"`.
        case activationBits
        /// Calibration method name.
        case calibration
        /// Bias correction on or off.
        case biasCorrection
        /// Fixed-point fraction bits or `"auto"`.
        case fractionBits
        /// Cross-layer equalization with the next layer on or off.
        case equalize

        /// The field as a key of the JSON object.
        var key: PlanKey { .named(rawValue) }
    }

    /// The fields of a `prune` object; exactly one is given.
    enum PruneField: String, CaseIterable {
        /// Prune `|w| ≤ threshold`.
        case threshold
        /// Prune this fraction of the weights.
        case sparsity
        /// Keep N of every M weights, written `"N:M"`.
        case pattern
        /// Remove this fraction of whole output filters (smallest L1 norm first).
        case filters

        /// The field as a key of the JSON object.
        var key: PlanKey { .named(rawValue) }
    }

    /// `bits`, if given.
    var bits: BitWidth?
    /// `scheme`, if given.
    var scheme: Scheme?
    /// `granularity`, if given.
    var granularity: GranularityName?
    /// `groupSize`, if given.
    var groupSize: Int?
    /// `range`, if given.
    var range: RangeName?
    /// `percentile`, if given.
    var percentile: Double?
    /// `rounding`, if given.
    var rounding: RoundingName?
    /// `seed`, if given.
    var seed: UInt64?
    /// `prune`, if given.
    var prune: Pruning?
    /// `activationBits`, if given.
    var activationBits: BitWidth?
    /// `calibration`, if given.
    var calibration: CalibrationMethod?
    /// `biasCorrection`, if given.
    var biasCorrection: Bool?
    /// `equalize`, if given.
    var equalize: Bool?
    /// `fractionBits`, if given.
    var fractionBits: FractionBits?

    /// An entry with no fields (inherits everything).
    init() {}

    /// Reads one settings object, checking every field's type and range.
    init(from decoder: Decoder) throws {
        let path = PlanPath(decoder.codingPath)
        let container = try PlanDecoding.object(decoder, path: path)
        try PlanDecoding.rejectUnknownKeys(container, known: Field.allCases.map(\.rawValue), path: path)

        bits = try PlanEntry.bitWidth(container, .bits, path: path)
        scheme = try PlanDecoding.name(container, Field.scheme.key, path: path, what: "scheme")
        granularity = try PlanDecoding.name(container, Field.granularity.key, path: path, what: "granularity")
        groupSize = try PlanDecoding.int(
            container, Field.groupSize.key, path: path, expected: "a whole number 1…\(PlanEntry.largestCount)")
        if let groupSize { try PlanEntry.checkGroupSize(groupSize, path: path) }
        range = try PlanDecoding.name(container, Field.range.key, path: path, what: "range method")
        percentile = try PlanDecoding.double(
            container, Field.percentile.key, path: path, expected: "a number in (0, 100]")
        if let percentile { try PlanEntry.checkPercentile(percentile, path: path) }
        rounding = try PlanDecoding.name(container, Field.rounding.key, path: path, what: "rounding")
        if container.contains(Field.seed.key) {
            guard let seed = try? container.decode(UInt64.self, forKey: Field.seed.key) else {
                throw PlanDecoding.wrongValue(container, Field.seed.key, path: path, expected: "a whole number ≥ 0")
            }
            self.seed = seed
        }
        prune = try PlanEntry.pruning(container, path: path)
        activationBits = try PlanEntry.bitWidth(container, .activationBits, path: path)
        calibration = try PlanDecoding.name(
            container, Field.calibration.key, path: path, what: "calibration method")
        biasCorrection = try PlanDecoding.bool(container, Field.biasCorrection.key, path: path)
        equalize = try PlanDecoding.bool(container, Field.equalize.key, path: path)
        fractionBits = try PlanEntry.fractionBits(container, path: path)
    }

    /// Writes the fields that are set.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: PlanKey.self)
        if let bits { try PlanEntry.encode(bits, in: &container, forKey: Field.bits.key) }
        try container.encodeIfPresent(scheme?.rawValue, forKey: Field.scheme.key)
        try container.encodeIfPresent(granularity?.rawValue, forKey: Field.granularity.key)
        try container.encodeIfPresent(groupSize, forKey: Field.groupSize.key)
        try container.encodeIfPresent(range?.rawValue, forKey: Field.range.key)
        try container.encodeIfPresent(percentile, forKey: Field.percentile.key)
        try container.encodeIfPresent(rounding?.rawValue, forKey: Field.rounding.key)
        try container.encodeIfPresent(seed, forKey: Field.seed.key)
        switch prune {
        case nil: break
        case .none?: try container.encode("none", forKey: Field.prune.key)
        case .rule(let rule)?:
            var inner = container.nestedContainer(keyedBy: PlanKey.self, forKey: Field.prune.key)
            switch rule {
            case .threshold(let threshold): try inner.encode(threshold, forKey: PruneField.threshold.key)
            case .sparsity(let sparsity): try inner.encode(sparsity, forKey: PruneField.sparsity.key)
            case .pattern(let keep, let of): try inner.encode("\(keep):\(of)", forKey: PruneField.pattern.key)
            case .filters(let fraction): try inner.encode(fraction, forKey: PruneField.filters.key)
            }
        }
        if let activationBits { try PlanEntry.encode(activationBits, in: &container, forKey: Field.activationBits.key) }
        try container.encodeIfPresent(calibration?.rawValue, forKey: Field.calibration.key)
        try container.encodeIfPresent(biasCorrection, forKey: Field.biasCorrection.key)
        try container.encodeIfPresent(equalize, forKey: Field.equalize.key)
        switch fractionBits {
        case nil: break
        case .auto?: try container.encode("auto", forKey: Field.fractionBits.key)
        case .bits(let n)?: try container.encode(n, forKey: Field.fractionBits.key)
        }
    }

    /// Reads `fractionBits`: a whole number in `FixedPointQuantizer.fractionBitsRange` or `"auto"`.
    private static func fractionBits(
        _ container: KeyedDecodingContainer<PlanKey>, path: PlanPath
    ) throws -> FractionBits? {
        let key = Field.fractionBits.key
        guard container.contains(key) else { return nil }
        let fieldPath = path.appending(key.stringValue)
        let range = FixedPointQuantizer.fractionBitsRange
        let expected = "\(range.lowerBound)…\(range.upperBound) or \"auto\""
        if let n = try? container.decode(Int.self, forKey: key) {
            try checkFractionBits(n, path: path)
            return .bits(n)
        }
        if let text = try? container.decode(String.self, forKey: key) {
            guard text == "auto" else {
                throw invalid(fieldPath, "\"\(text)\" is not a number of fraction bits (\(expected))")
            }
            return .auto
        }
        if let number = try? container.decode(Double.self, forKey: key) {
            let problem = number.rounded() == number ? "is out of range" : "is not a whole number"
            throw invalid(fieldPath, "\(number) \(problem) (\(expected))")
        }
        throw PlanDecoding.wrongValue(container, key, path: path, expected: "fraction bits (\(expected))")
    }

    private static func encode(
        _ bitWidth: BitWidth, in container: inout KeyedEncodingContainer<PlanKey>, forKey key: PlanKey
    ) throws {
        switch bitWidth {
        case .float: try container.encode("float", forKey: key)
        case .bits(let bits): try container.encode(bits, forKey: key)
        }
    }

    /// Reads `bits` or `activationBits`: a whole number in 1…16 or `"float"`.
    private static func bitWidth(
        _ container: KeyedDecodingContainer<PlanKey>, _ field: Field, path: PlanPath
    ) throws -> BitWidth? {
        let key = field.key
        guard container.contains(key) else { return nil }
        let fieldPath = path.appending(key.stringValue)
        if let bits = try? container.decode(Int.self, forKey: key) {
            try checkBitWidth(bits, path: fieldPath)
            return .bits(bits)
        }
        if let text = try? container.decode(String.self, forKey: key) {
            guard text == "float" else {
                throw invalid(fieldPath, "\"\(text)\" is not a bit width (1…16 or \"float\")")
            }
            return .float
        }
        if let number = try? container.decode(Double.self, forKey: key) {
            let problem = number.rounded() == number ? "is out of range" : "is not a whole number"
            throw invalid(fieldPath, "\(number) \(problem) (1…16 or \"float\")")
        }
        throw PlanDecoding.wrongValue(container, key, path: path, expected: "a bit width (1…16 or \"float\")")
    }

    /// Reads `prune`: `"none"` or an object with exactly one of threshold, sparsity, pattern.
    private static func pruning(_ container: KeyedDecodingContainer<PlanKey>, path: PlanPath) throws -> Pruning? {
        let key = Field.prune.key
        guard container.contains(key) else { return nil }
        let prunePath = path.appending(key.stringValue)
        let expected = "an object with threshold, sparsity, pattern or filters, or \"none\""
        if let text = try? container.decode(String.self, forKey: key) {
            guard text == "none" else { throw invalid(prunePath, "\"\(text)\" is not a pruning rule (\(expected))") }
            return Pruning.none
        }
        guard let inner = try? container.nestedContainer(keyedBy: PlanKey.self, forKey: key) else {
            throw PlanDecoding.wrongValue(container, key, path: path, expected: expected)
        }
        try PlanDecoding.rejectUnknownKeys(inner, known: PruneField.allCases.map(\.rawValue), path: prunePath)
        let given = PruneField.allCases.filter { inner.contains($0.key) }
        guard let field = given.first else {
            throw invalid(prunePath, "give one of threshold, sparsity, pattern or filters (or \"none\" for no pruning)")
        }
        guard given.count == 1 else {
            let names = given.map(\.rawValue).joined(separator: " and ")
            throw invalid(prunePath, "give only one of threshold, sparsity, pattern or filters (found \(names))")
        }
        let rule: PruningRule
        switch field {
        case .threshold:
            let threshold = try PlanDecoding.float(inner, field.key, path: prunePath, expected: "a number ≥ 0") ?? 0
            rule = .threshold(threshold)
        case .sparsity:
            let sparsity =
                try PlanDecoding.double(inner, field.key, path: prunePath, expected: "a number in [0, 1)") ?? 0
            rule = .sparsity(sparsity)
        case .pattern:
            let text =
                try PlanDecoding.string(inner, field.key, path: prunePath, expected: "\"N:M\", e.g. \"2:4\"") ?? ""
            rule = try parsePattern(text, path: prunePath.appending(field.rawValue))
        case .filters:
            let fraction =
                try PlanDecoding.double(inner, field.key, path: prunePath, expected: "a number in [0, 1)") ?? 0
            rule = .filters(fraction)
        }
        try checkPruning(rule, path: path)
        return .rule(rule)
    }

    /// Parses `"N:M"` (keep N of every M weights) with 0 < N < M.
    static func parsePattern(_ text: String, path: PlanPath) throws -> PruningRule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let keep = Int(parts[0]), let of = Int(parts[1]) else {
            throw invalid(path, "\"\(text)\" is not an N:M pattern (e.g. \"2:4\": keep 2 of every 4)")
        }
        let rule = PruningRule.pattern(keep: keep, of: of)
        guard keep > 0, keep < of, of <= largestCount else {
            throw invalid(path, "\"\(text)\" is out of range (N:M needs 0 < N < M ≤ \(largestCount))")
        }
        return rule
    }

    /// A `PlanError.invalidField` at `path`.
    static func invalid(_ path: PlanPath, _ problem: String) -> PlanError {
        .invalidField(file: "", path: path.description, problem: problem)
    }
}

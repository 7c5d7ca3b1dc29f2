/// Turning plan-file entries into complete `LayerSettings` and back, and the range checks both
/// directions share.
///
/// Merging is field by field: a field absent from the entry keeps the base's value (the built-in
/// defaults for `"default"`, the decoded `"default"` for a layer). Companion fields follow their
/// case: `groupSize` alone changes the group size of an inherited `group` granularity, and
/// `"granularity": "group"` alone keeps an inherited group size; the same holds for
/// `percentile` with `range` and `seed` with `rounding`. `fractionBits` belongs to scheme
/// `fixed-point`: given with another resulting scheme it is an error, and a layer that changes the
/// scheme away from fixed point drops the inherited value.
extension PlanEntry {
    /// The bit widths a plan accepts for weights and activations.
    static let bitWidthRange = 1...16

    /// The complete settings this entry describes on top of `base`.
    ///
    /// - Throws: `PlanError.invalidField` when a companion field is missing or does not apply,
    ///   or the resulting bit width is not allowed by the resulting scheme.
    func applied(to base: LayerSettings, path: PlanPath) throws -> LayerSettings {
        var settings = base
        switch bits {
        case nil: break
        case .float?: settings.bitWidth = nil
        case .bits(let value)?: settings.bitWidth = value
        }
        if let scheme { settings.scheme = scheme }
        settings.granularity = try mergedGranularity(base.granularity, path: path)
        settings.range = try mergedRange(base.range, path: path)
        settings.rounding = try mergedRounding(base.rounding, path: path)
        switch prune {
        case nil: break
        case .none?: settings.pruning = nil
        case .rule(let rule)?: settings.pruning = rule
        }
        switch activationBits {
        case nil: break
        case .float?: settings.activationBits = nil
        case .bits(let value)?: settings.activationBits = value
        }
        if let calibration { settings.calibration = calibration }
        if let biasCorrection { settings.biasCorrection = biasCorrection }
        if let equalize { settings.equalize = equalize }
        switch fractionBits {
        case nil: break
        case .auto?: settings.fractionBits = nil
        case .bits(let n)?: settings.fractionBits = n
        }
        if !settings.scheme.usesFractionBits {
            if fractionBits != nil {
                throw PlanEntry.invalid(
                    path.appending(Field.fractionBits.rawValue),
                    "only used with scheme \"fixed-point\" (the scheme here is \(settings.scheme.rawValue))")
            }
            settings.fractionBits = nil
        }

        if let bitWidth = settings.bitWidth, !settings.scheme.allowedBitWidths.contains(bitWidth) {
            let allowed = PlanEntry.describe(settings.scheme.allowedBitWidths)
            if bits != nil {
                throw PlanEntry.invalid(
                    path.appending(Field.bits.rawValue),
                    "\(bitWidth) bits is not allowed by scheme \(settings.scheme.rawValue) (allowed: \(allowed))")
            }
            throw PlanEntry.invalid(
                path.appending(Field.scheme.rawValue),
                "\(settings.scheme.rawValue) stores \(allowed) bits, but bits is \(bitWidth) "
                    + "(from \"default\"); set \"bits\" in this entry too")
        }
        return settings
    }

    /// An entry stating every field of `settings` (how `"default"` is written).
    init(complete settings: LayerSettings) {
        self.init(settings, differingFrom: nil)
    }

    /// An entry with only the fields where `settings` differs from `base` (all when `base` is nil).
    init(_ settings: LayerSettings, differingFrom base: LayerSettings?) {
        self.init()
        if settings.bitWidth != base?.bitWidth || base == nil {
            bits = settings.bitWidth.map(BitWidth.bits) ?? .float
        }
        if settings.scheme != base?.scheme { scheme = settings.scheme }
        if settings.granularity != base?.granularity {
            switch settings.granularity {
            case .tensor: granularity = .tensor
            case .channel: granularity = .channel
            case .group(let size):
                granularity = .group
                groupSize = size
            }
        }
        if settings.range != base?.range {
            switch settings.range {
            case .minMax: range = .minmax
            case .mse: range = .mse
            case .percentile(let value):
                range = .percentile
                percentile = value
            }
        }
        if settings.rounding != base?.rounding {
            switch settings.rounding {
            case .nearestEven: rounding = .nearestEven
            case .learned: rounding = .learned
            case .stochastic(let value):
                rounding = .stochastic
                seed = value
            }
        }
        if settings.pruning != base?.pruning || base == nil {
            prune = settings.pruning.map(Pruning.rule) ?? Pruning.none
        }
        if settings.activationBits != base?.activationBits || base == nil {
            activationBits = settings.activationBits.map(BitWidth.bits) ?? .float
        }
        if settings.calibration != base?.calibration { calibration = settings.calibration }
        // Written only when on or changed, so plans without it read and write as before.
        if settings.biasCorrection != (base?.biasCorrection ?? false) { biasCorrection = settings.biasCorrection }
        if settings.equalize != (base?.equalize ?? false) { equalize = settings.equalize }
        if settings.scheme.usesFractionBits,
            base == nil || settings.fractionBits != base?.fractionBits || base?.scheme.usesFractionBits != true
        {
            fractionBits = settings.fractionBits.map(FractionBits.bits) ?? .auto
        }
    }

    // MARK: Companion fields

    private func mergedGranularity(_ base: Granularity, path: PlanPath) throws -> Granularity {
        switch (granularity, groupSize) {
        case (nil, nil): return base
        case (.group?, let size?): return .group(size: size)
        case (nil, let size?):
            guard case .group = base else {
                throw PlanEntry.invalid(
                    path.appending(Field.groupSize.rawValue), "only used with granularity \"group\"")
            }
            return .group(size: size)
        case (.group?, nil):
            guard case .group(let size) = base else {
                throw PlanEntry.invalid(
                    path.appending(Field.granularity.rawValue), "\"group\" needs \"groupSize\" (e.g. 32)")
            }
            return .group(size: size)
        case (let name?, nil): return name == .tensor ? .tensor : .channel
        case (_?, _?):
            throw PlanEntry.invalid(
                path.appending(Field.groupSize.rawValue), "only used with granularity \"group\"")
        }
    }

    private func mergedRange(_ base: RangeMethod, path: PlanPath) throws -> RangeMethod {
        switch (range, percentile) {
        case (nil, nil): return base
        case (.percentile?, let value?): return .percentile(value)
        case (nil, let value?):
            guard case .percentile = base else {
                throw PlanEntry.invalid(
                    path.appending(Field.percentile.rawValue), "only used with range \"percentile\"")
            }
            return .percentile(value)
        case (.percentile?, nil):
            guard case .percentile(let value) = base else {
                throw PlanEntry.invalid(
                    path.appending(Field.range.rawValue), "\"percentile\" needs \"percentile\" (e.g. 99.9)")
            }
            return .percentile(value)
        case (let name?, nil): return name == .mse ? .mse : .minMax
        case (_?, _?):
            throw PlanEntry.invalid(
                path.appending(Field.percentile.rawValue), "only used with range \"percentile\"")
        }
    }

    private func mergedRounding(_ base: Rounding, path: PlanPath) throws -> Rounding {
        switch (rounding, seed) {
        case (nil, nil): return base
        case (.stochastic?, let value?): return .stochastic(seed: value)
        case (nil, let value?):
            guard case .stochastic = base else {
                throw PlanEntry.invalid(path.appending(Field.seed.rawValue), "only used with rounding \"stochastic\"")
            }
            return .stochastic(seed: value)
        case (.stochastic?, nil):
            guard case .stochastic(let value) = base else {
                throw PlanEntry.invalid(
                    path.appending(Field.rounding.rawValue), "\"stochastic\" needs \"seed\" (e.g. 0)")
            }
            return .stochastic(seed: value)
        case (.nearestEven?, nil): return .nearestEven
        case (.learned?, nil): return .learned
        case (.nearestEven?, _?), (.learned?, _?):
            throw PlanEntry.invalid(path.appending(Field.seed.rawValue), "only used with rounding \"stochastic\"")
        }
    }

    // MARK: Range checks

    /// Checks complete settings (e.g. built in code) with the same rules and messages as the file.
    ///
    /// - Parameter path: the path of the settings object, e.g. `layers.fc1`.
    static func check(_ settings: LayerSettings, path: PlanPath) throws {
        if let bitWidth = settings.bitWidth {
            try checkBitWidth(bitWidth, path: path.appending(Field.bits.rawValue))
            guard settings.scheme.allowedBitWidths.contains(bitWidth) else {
                let allowed = describe(settings.scheme.allowedBitWidths)
                throw invalid(
                    path.appending(Field.bits.rawValue),
                    "\(bitWidth) bits is not allowed by scheme \(settings.scheme.rawValue) (allowed: \(allowed))")
            }
        }
        if case .group(let size) = settings.granularity { try checkGroupSize(size, path: path) }
        if case .percentile(let value) = settings.range { try checkPercentile(value, path: path) }
        if let rule = settings.pruning { try checkPruning(rule, path: path) }
        if let bits = settings.activationBits {
            try checkBitWidth(bits, path: path.appending(Field.activationBits.rawValue))
        }
        if let n = settings.fractionBits {
            try checkFractionBits(n, path: path)
            guard settings.scheme.usesFractionBits else {
                throw invalid(
                    path.appending(Field.fractionBits.rawValue),
                    "only used with scheme \"fixed-point\" (the scheme here is \(settings.scheme.rawValue))")
            }
        }
    }

    /// Fraction bits are in `FixedPointQuantizer.fractionBitsRange`.
    static func checkFractionBits(_ n: Int, path: PlanPath) throws {
        let range = FixedPointQuantizer.fractionBitsRange
        guard range.contains(n) else {
            throw invalid(
                path.appending(Field.fractionBits.rawValue),
                "\(n) is out of range (\(range.lowerBound)…\(range.upperBound) or \"auto\")")
        }
    }

    /// Bit widths are 1…16.
    static func checkBitWidth(_ bits: Int, path: PlanPath) throws {
        guard bitWidthRange.contains(bits) else {
            throw invalid(path, "\(bits) is out of range (1…16 or \"float\")")
        }
    }

    /// The largest group size or N:M window: what every exporter can store (the C export's
    /// `uint32_t`, ONNX's int64, `Int` arithmetic on a row) and far beyond any weight row.
    public static let largestCount = Int(Int32.max)

    /// Group sizes are 1…`largestCount`.
    static func checkGroupSize(_ size: Int, path: PlanPath) throws {
        guard size >= 1, size <= largestCount else {
            throw invalid(
                path.appending(Field.groupSize.rawValue), "\(size) is out of range (a whole number 1…\(largestCount))")
        }
    }

    /// Percentiles are in (0, 100].
    static func checkPercentile(_ value: Double, path: PlanPath) throws {
        guard value > 0, value <= 100 else {
            throw invalid(path.appending(Field.percentile.rawValue), "\(value) is out of range (0 < percentile ≤ 100)")
        }
    }

    /// Thresholds are finite and ≥ 0, sparsities and filter fractions in [0, 1), patterns N:M with 0 < N < M.
    static func checkPruning(_ rule: PruningRule, path: PlanPath) throws {
        let prunePath = path.appending(Field.prune.rawValue)
        switch rule {
        case .threshold(let threshold):
            guard threshold.isFinite, threshold >= 0 else {
                throw invalid(
                    prunePath.appending(PruneField.threshold.rawValue),
                    "\(threshold) is out of range (a threshold on |w| is ≥ 0)")
            }
        case .sparsity(let sparsity):
            guard sparsity >= 0, sparsity < 1 else {
                throw invalid(
                    prunePath.appending(PruneField.sparsity.rawValue),
                    "\(sparsity) is out of range (0 ≤ sparsity < 1)")
            }
        case .filters(let fraction):
            guard fraction >= 0, fraction < 1 else {
                throw invalid(
                    prunePath.appending(PruneField.filters.rawValue),
                    "\(fraction) is out of range (0 ≤ fraction of filters < 1)")
            }
        case .pattern(let keep, let of):
            guard keep > 0, keep < of, of <= largestCount else {
                throw invalid(
                    prunePath.appending(PruneField.pattern.rawValue),
                    "\"\(keep):\(of)\" is out of range (N:M needs 0 < N < M ≤ \(largestCount))")
            }
        }
    }

    /// `4` for a single width, `2…16` for a range.
    static func describe(_ widths: ClosedRange<Int>) -> String {
        widths.lowerBound == widths.upperBound ? "\(widths.lowerBound)" : "\(widths.lowerBound)…\(widths.upperBound)"
    }
}

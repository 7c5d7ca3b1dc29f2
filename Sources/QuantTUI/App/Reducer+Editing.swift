import Foundation
import QuantCore

extension Reducer {
    /// The granularities `g` cycles through.
    static let granularityCycle: [Granularity] = [
        .tensor, .channel, .group(size: 32), .group(size: 64), .group(size: 128),
    ]

    /// Applies an editing intent to every edit target, recording undo, and asks to re-quantize.
    static func edit(_ state: inout AppState, _ action: Action) -> [Effect] {
        let targets = state.editTargets
        guard !targets.isEmpty else { return [] }
        var plan = state.plan
        var problems: [String] = []
        for name in targets {
            let current = plan.settings(for: name)
            if action == .toggleLearnedRounding, current.rounding != .learned,
                let problem = state.layers.first(where: { $0.name == name })?.learnedRoundingProblem
            {
                problems.append("\(name): \(problem)")
                continue
            }
            if action == .toggleBiasCorrection, !current.biasCorrection,
                let problem = state.layers.first(where: { $0.name == name })?.biasCorrectionProblem
            {
                problems.append("\(name): \(problem)")
                continue
            }
            if action == .toggleEqualization, !current.equalize, let problem = state.equalizationProblems[name] {
                problems.append("\(name): cannot equalize with the next layer: \(problem)")
                continue
            }
            if action == .toggleEqualization, !current.equalize, current.activationBits != nil {
                problems.append("\(name): cannot equalize a layer whose output activations are quantized")
                continue
            }
            if action == .cycleFilterPruning, let problem = state.filterPruningProblems[name] {
                problems.append("\(name): filters cannot be removed: \(problem)")
                continue
            }
            if let bits = current.bitWidth, current.scheme.allowedBitWidths.count > 1 {
                state.chosenBitWidths[name] = bits
            }
            switch edited(
                current, by: action, maxMagnitude: state.maxMagnitudes[name] ?? 1,
                chosenBitWidth: state.chosenBitWidths[name])
            {
            case .success(let settings):
                plan.layers[name] = settings
            case .failure(let problem):
                problems.append(problem.message)
            }
        }
        if let problem = problems.first {
            state.message = StatusMessage(problem, isError: true)
        }
        guard plan != state.plan else { return [] }
        state.undoStack.append(state.plan)
        state.redoStack.removeAll()
        if problems.isEmpty {
            // Edits to marked layers say where they went: the cursor may be on another layer.
            state.message =
                state.marked.isEmpty
                ? nil : StatusMessage("applied to \(targets.count) marked: \(brief(targets))")
        }
        return replacePlan(&state, with: plan)
    }

    /// Why an edit does not apply to a layer.
    struct EditProblem: Error {
        /// One line for the status bar.
        var message: String
    }

    /// The settings after one edit (pure; the step sizes of pruning scale with `maxMagnitude`).
    static func edited(
        _ settings: LayerSettings, by action: Action, maxMagnitude: Float, chosenBitWidth: Int? = nil
    ) -> Result<LayerSettings, EditProblem> {
        var next = settings
        switch action {
        case .increaseBitWidth, .decreaseBitWidth:
            let allowed = settings.scheme.allowedBitWidths
            guard let bits = settings.bitWidth else {
                next.bitWidth = clamp(8, to: allowed)
                return .success(next)
            }
            let wanted = bits + (action == .increaseBitWidth ? 1 : -1)
            guard allowed.contains(wanted) else {
                return .failure(
                    EditProblem(message: "\(settings.scheme.rawValue) stores \(describe(allowed)) bits per weight"))
            }
            next.bitWidth = wanted
        case .setBitWidth(let bits):
            if settings.bitWidth == nil { next.scheme = .symmetric }
            var allowed = next.scheme.allowedBitWidths
            if !allowed.contains(bits) {
                // Fixed-width formats give way to the plain affine scheme for another width.
                next.scheme = .symmetric
                allowed = next.scheme.allowedBitWidths
            }
            guard allowed.contains(bits) else {
                return .failure(EditProblem(message: "\(bits)-bit weights need the asymmetric or k-means scheme"))
            }
            next.bitWidth = bits
        case .setScheme(let scheme):
            // The width the user chose comes back when a fixed-width scheme gives way.
            next.scheme = scheme
            next.bitWidth = clamp(chosenBitWidth ?? settings.bitWidth ?? 8, to: scheme.allowedBitWidths)
        case .increaseFractionBits, .decreaseFractionBits:
            guard settings.scheme.usesFractionBits, let bits = settings.bitWidth else {
                return .failure(EditProblem(message: "fraction bits set the fixed-point step (s picks fixed-point)"))
            }
            // From the data-derived default: the layer's own (its largest |w|), the per-tensor value.
            let current =
                settings.fractionBits
                ?? FixedPointQuantizer.defaultFractionBits(maxMagnitude: maxMagnitude, bitWidth: bits)
            let wanted = current + (action == .increaseFractionBits ? 1 : -1)
            let range = FixedPointQuantizer.fractionBitsRange
            guard range.contains(wanted) else {
                return .failure(
                    EditProblem(message: "fraction bits go from \(range.lowerBound) to \(range.upperBound)"))
            }
            next.fractionBits = wanted
        case .cycleGranularity:
            if case .group(let size) = settings.granularity, !granularityCycle.contains(settings.granularity) {
                // A group size from a preset (e.g. 256) goes on to the next larger one in the cycle.
                next.granularity =
                    granularityCycle.first {
                        if case .group(let other) = $0 { return other > size } else { return false }
                    } ?? .tensor
            } else {
                let index = granularityCycle.firstIndex(of: settings.granularity) ?? granularityCycle.count - 1
                next.granularity = granularityCycle[(index + 1) % granularityCycle.count]
            }
            if next.bitWidth == nil { next.bitWidth = 8 }
        case .increasePruning(let isCoarse), .decreasePruning(let isCoarse):
            let step = PruningStep(maxMagnitude: maxMagnitude)
            let stepsPerPress = isCoarse ? 10 : 1
            let current = step.count(for: currentThreshold(settings.pruning))
            let direction = action == .increasePruning(isCoarse: isCoarse) ? 1 : -1
            let count = max(current + direction * stepsPerPress, 0)
            next.pruning = count > 0 ? .threshold(step.threshold(count: count)) : nil
        case .setPruningThreshold(let threshold):
            guard threshold >= 0, threshold.isFinite else {
                return .failure(EditProblem(message: "a threshold must be a number ≥ 0"))
            }
            next.pruning = threshold > 0 ? .threshold(threshold) : nil
        case .setTargetSparsity(let sparsity):
            guard sparsity >= 0, sparsity < 1 else {
                return .failure(EditProblem(message: "sparsity must be at least 0 % and below 100 %"))
            }
            next.pruning = sparsity > 0 ? .sparsity(sparsity) : nil
        case .cycleFilterPruning:
            let cycle: [Double] = [0.25, 0.5, 0.75]
            if case .filters(let fraction) = settings.pruning {
                next.pruning = cycle.first { $0 > fraction + 1e-9 }.map { PruningRule.filters($0) }
            } else {
                next.pruning = .filters(cycle[0])
            }
        case .applySettingFields(let fields, let source):
            next = SettingsForm.applying(fields: fields, from: source, to: settings, chosenBitWidth: chosenBitWidth)
        case .toggleActivationQuantization:
            next.activationBits = settings.activationBits == nil ? 8 : nil
        case .toggleBiasCorrection:
            guard !settings.isFloat || settings.biasCorrection else {
                return .failure(EditProblem(message: "bias correction needs quantized or pruned weights"))
            }
            next.biasCorrection.toggle()
        case .toggleEqualization:
            if !settings.equalize, settings.rounding == .learned {
                return .failure(EditProblem(message: "equalization does not combine with learned rounding (R) yet"))
            }
            next.equalize.toggle()
        case .toggleLearnedRounding:
            if settings.rounding == .learned {
                next.rounding = .nearestEven
            } else {
                guard settings.bitWidth != nil else {
                    return .failure(EditProblem(message: "learned rounding needs quantized weights"))
                }
                guard !settings.equalize else {
                    return .failure(
                        EditProblem(message: "learned rounding does not combine with equalization (E) yet"))
                }
                if let problem = LearnedRounding.schemeProblem(settings.scheme) {
                    return .failure(EditProblem(message: problem))
                }
                next.rounding = .learned
            }
        case .resetToFloat:
            next = .float
        default:
            break
        }
        // Fraction bits belong to fixed point: any edit that leaves the scheme drops them.
        if !next.scheme.usesFractionBits { next.fractionBits = nil }
        return .success(next)
    }

    /// The fine pruning step for a layer whose largest |w| is `maxMagnitude`.
    static func pruningStep(maxMagnitude: Float) -> Float {
        PruningStep(maxMagnitude: maxMagnitude).threshold(count: 1)
    }

    /// The threshold the current rule corresponds to (0 for no or non-threshold pruning).
    static func currentThreshold(_ rule: PruningRule?) -> Float {
        if case .threshold(let threshold) = rule { return threshold }
        return 0
    }

    private static func clamp(_ bits: Int, to range: ClosedRange<Int>) -> Int {
        min(max(bits, range.lowerBound), range.upperBound)
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "exactly \(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
    }
}

/// Pruning thresholds move in round steps near 1 % of the layer's largest |w| — 1, 2 or 5 × 10^k —
/// and are computed from decimal text, so 4 steps of 0.005 are exactly the float nearest 0.02.
struct PruningStep: Equatable {
    /// 1, 2 or 5.
    var mantissa: Int
    /// The power of ten.
    var exponent: Int

    /// The step for a layer with largest |w| `maxMagnitude`.
    init(maxMagnitude: Float) {
        let raw = max(Double(maxMagnitude), 1e-8) / 100
        var exponent = Int(log10(raw).rounded(.down))
        var mantissa = raw / pow(10, Double(exponent))
        if mantissa >= 9.9999 {
            exponent += 1
            mantissa = 1
        }
        self.mantissa = mantissa >= 4.9999 ? 5 : mantissa >= 1.9999 ? 2 : 1
        self.exponent = exponent
    }

    /// `count` steps as a threshold.
    func threshold(count: Int) -> Float {
        Float("\(count * mantissa)e\(exponent)") ?? Float(count * mantissa) * powf(10, Float(exponent))
    }

    /// The number of whole steps nearest to `threshold`.
    func count(for threshold: Float) -> Int {
        let step = Double(mantissa) * pow(10, Double(exponent))
        return Int((Double(threshold) / step).rounded())
    }
}

import Foundation
import QuantCore

/// One plan field the layer settings dialog edits (`docs/plan-format.md` names them): how it
/// reads and which values it offers. The dialog, applying it to marked layers and the help text
/// all come from `LayerSettingField.all`, so a new plan field is one row here.
struct LayerSettingField: Sendable {
    /// The field's name as the dialog shows it.
    let name: String
    /// One line the dialog shows while the field is selected.
    let summary: String
    /// The field's value as shown.
    let value: @Sendable (LayerSettings) -> String
    /// The settings for each value the field offers, starting from `settings` (whose own value
    /// is among them); `chosenBitWidth` is the width the user chose last (schemes keep it).
    let choices: @Sendable (_ settings: LayerSettings, _ chosenBitWidth: Int?) -> [LayerSettings]
    /// Copies this field of `source` into `target` (a changed field applied to a marked layer).
    let copy: @Sendable (_ source: LayerSettings, _ target: inout LayerSettings, _ chosenBitWidth: Int?) -> Void
    /// Why the field has no effect on `settings`, if it has none (float weights, k-means…).
    var unusedReason: @Sendable (LayerSettings) -> String? = { _ in nil }

    /// The fields, in the order the dialog lists them (scheme before bits: the widths a scheme
    /// allows depend on it).
    static let all: [LayerSettingField] = [
        LayerSettingField(
            name: "scheme", summary: "how codes map to values (the bit width is kept where the scheme allows it)",
            value: { $0.scheme.rawValue },
            choices: { settings, chosen in
                Scheme.allCases.map { scheme in
                    var next = settings
                    next.scheme = scheme
                    if settings.bitWidth != nil { next.bitWidth = clamp(chosen ?? settings.bitWidth ?? 8, scheme) }
                    return next
                }
            },
            copy: { source, target, chosen in
                target.scheme = source.scheme
                if let bits = target.bitWidth { target.bitWidth = clamp(chosen ?? bits, source.scheme) }
            },
            unusedReason: { $0.bitWidth == nil ? "weights are float: pick bits to quantize" : nil }),
        LayerSettingField(
            name: "bits", summary: "bits per stored weight, or float (the widths the scheme allows)",
            value: { $0.bitWidthLabel },
            choices: { settings, _ in
                ([nil] + settings.scheme.allowedBitWidths.map { Optional($0) }).map { bits in
                    var next = settings
                    next.bitWidth = bits
                    return next
                }
            },
            copy: { source, target, _ in
                guard let bits = source.bitWidth else {
                    target.bitWidth = nil
                    return
                }
                // Like the digit keys: a fixed-width scheme gives way to symmetric for another width.
                if !target.scheme.allowedBitWidths.contains(bits) { target.scheme = source.scheme }
                target.bitWidth = bits
            }),
        LayerSettingField(
            name: "granularity", summary: "which weights share a scale: the tensor, an output channel, a group",
            value: { $0.granularity.label },
            choices: { settings, _ in
                var groups = [8, 16, 32, 64, 128, 256]
                if case .group(let size) = settings.granularity, !groups.contains(size) {
                    groups = (groups + [size]).sorted()
                }
                return ([.tensor, .channel] + groups.map { Granularity.group(size: $0) }).map { granularity in
                    var next = settings
                    next.granularity = granularity
                    return next
                }
            },
            copy: { source, target, _ in target.granularity = source.granularity },
            unusedReason: { settings in
                settings.bitWidth == nil
                    ? "weights are float" : settings.scheme == .kmeans ? "k-means keeps one codebook per layer" : nil
            }),
        LayerSettingField(
            name: "range", summary: "clipping range: min-max, a percentile of |w|, or the MSE-best clip",
            value: { $0.range.label },
            choices: { settings, _ in
                var percentiles: [Double] = [99, 99.9, 99.99]
                if case .percentile(let value) = settings.range, !percentiles.contains(value) {
                    percentiles = (percentiles + [value]).sorted()
                }
                return ([.minMax] + percentiles.map { RangeMethod.percentile($0) } + [.mse]).map { range in
                    var next = settings
                    next.range = range
                    return next
                }
            },
            copy: { source, target, _ in target.range = source.range },
            unusedReason: { settings in
                settings.bitWidth == nil
                    ? "weights are float"
                    : settings.scheme.usesRangeMethod ? nil : "\(settings.scheme.rawValue) picks its own levels"
            }),
        LayerSettingField(
            name: "rounding",
            summary:
                "round half to even, stochastic (seeded) or learned on calibration data (AdaRound); affine schemes",
            value: { $0.rounding.label },
            choices: { settings, _ in
                let seed: UInt64 = if case .stochastic(let seed) = settings.rounding { seed } else { 0 }
                return [Rounding.nearestEven, .stochastic(seed: seed), .learned].map { rounding in
                    var next = settings
                    next.rounding = rounding
                    return next
                }
            },
            copy: { source, target, _ in target.rounding = source.rounding },
            unusedReason: { settings in
                settings.bitWidth == nil
                    ? "weights are float"
                    : settings.scheme.isAffine ? nil : "\(settings.scheme.rawValue) rounds to nearest"
            }),
        LayerSettingField(
            name: "prune",
            summary: "weights set to 0 first: none, |w| threshold (t), sparsity (p), N:M pattern, whole filters (x)",
            value: { $0.pruning == nil ? "none" : $0.pruningLabel },
            choices: { settings, _ in
                var rules: [PruningRule?] = [nil]
                if case .threshold = settings.pruning { rules.append(settings.pruning) }
                var sparsities: [Double] = [0.25, 0.5, 0.75, 0.9]
                if case .sparsity(let value) = settings.pruning, !sparsities.contains(value) {
                    sparsities = (sparsities + [value]).sorted()
                }
                rules += sparsities.map { PruningRule.sparsity($0) }
                var patterns: [PruningRule] = [
                    .pattern(keep: 1, of: 2), .pattern(keep: 2, of: 4), .pattern(keep: 4, of: 8),
                ]
                if case .pattern? = settings.pruning, let rule = settings.pruning, !patterns.contains(rule) {
                    patterns.append(rule)
                }
                var filters: [PruningRule] = [.filters(0.25), .filters(0.5), .filters(0.75)]
                if case .filters? = settings.pruning, let rule = settings.pruning, !filters.contains(rule) {
                    filters.append(rule)
                }
                return (rules + (patterns + filters).map { Optional($0) }).map { rule in
                    var next = settings
                    next.pruning = rule
                    return next
                }
            },
            copy: { source, target, _ in target.pruning = source.pruning }),
        LayerSettingField(
            name: "activations", summary: "bits of the layer's output activations (fake-quantized), or float",
            value: { $0.activationLabel },
            choices: { settings, _ in
                ([nil] + (2...16).map { Optional($0) }).map { bits in
                    var next = settings
                    next.activationBits = bits
                    return next
                }
            },
            copy: { source, target, _ in target.activationBits = source.activationBits }),
        LayerSettingField(
            name: "calibration", summary: "how activation ranges are found on the calibration images",
            value: { $0.calibration.rawValue },
            choices: { settings, _ in
                CalibrationMethod.allCases.map { method in
                    var next = settings
                    next.calibration = method
                    return next
                }
            },
            copy: { source, target, _ in target.calibration = source.calibration },
            unusedReason: { $0.activationBits == nil ? "activations are float: pick activation bits" : nil }),
    ]

    /// The field named `name`.
    static func named(_ name: String) -> LayerSettingField? { all.first { $0.name == name } }

    private static func clamp(_ bits: Int, _ scheme: Scheme) -> Int {
        min(max(bits, scheme.allowedBitWidths.lowerBound), scheme.allowedBitWidths.upperBound)
    }
}

/// The open layer settings dialog: a draft of one layer's settings, edited field by field, then
/// applied (the changed fields only) to the edit targets.
public struct SettingsForm: Sendable, Equatable {
    /// The layers it applies to: the marked ones, or the selected one.
    public var targets: [String]
    /// The settings being edited (starting from the selected layer's).
    public var draft: LayerSettings
    /// The highlighted field (index into the field table).
    public var selectedField = 0
    /// Names of the fields changed so far (only these are applied to the targets).
    public var changedFields: [String] = []
    /// The width the user chose last; schemes with another fixed width give way back to it.
    public var chosenBitWidth: Int?

    /// Creates a form over `draft` for `targets`.
    public init(targets: [String], draft: LayerSettings, chosenBitWidth: Int? = nil) {
        self.targets = targets
        self.draft = draft
        self.chosenBitWidth = chosenBitWidth ?? draft.bitWidth
    }

    /// Number of fields.
    public static var fieldCount: Int { LayerSettingField.all.count }

    /// Moves the highlight by `delta` fields (wrapping).
    mutating func moveField(by delta: Int) {
        let count = Self.fieldCount
        selectedField = ((selectedField + delta) % count + count) % count
    }

    /// Steps the highlighted field's value by `delta` choices (wrapping).
    mutating func stepValue(by delta: Int) {
        let field = LayerSettingField.all[selectedField]
        let choices = field.choices(draft, chosenBitWidth)
        guard !choices.isEmpty else { return }
        let current = choices.firstIndex { field.value($0) == field.value(draft) } ?? 0
        draft = choices[((current + delta) % choices.count + choices.count) % choices.count]
        if field.name == "bits", let bits = draft.bitWidth { chosenBitWidth = bits }
        if !changedFields.contains(field.name) { changedFields.append(field.name) }
    }

    /// One row per field: name, value, and `*` when changed.
    public var rows: [String] {
        LayerSettingField.all.map { field in
            let mark = changedFields.contains(field.name) ? "*" : " "
            let name = field.name.padding(toLength: 12, withPad: " ", startingAt: 0)
            let unused = field.unusedReason(draft) == nil ? "" : "  (unused)"
            return "\(name)\(mark) ‹ \(field.value(draft)) ›\(unused)"
        }
    }

    /// What the highlighted field is, and why it does nothing for the draft if so.
    public var explanation: [String] {
        let field = LayerSettingField.all[selectedField]
        return [field.summary] + [field.unusedReason(draft).map { "unused here: \($0)" }].compactMap { $0 }
    }

    /// `target` with the changed fields of the draft (the order of the field table).
    static func applying(
        fields: [String], from source: LayerSettings, to target: LayerSettings, chosenBitWidth: Int?
    ) -> LayerSettings {
        var next = target
        for field in LayerSettingField.all where fields.contains(field.name) {
            field.copy(source, &next, chosenBitWidth)
        }
        return next
    }
}

import Foundation

/// One per-layer choice that guided tuning measures and searches over: a weight bit width
/// (or float) and an optional pruned fraction, applied on top of the layer's own scheme.
///
/// `4-bit` keeps the layer's scheme, granularity, range and activation settings from the plan
/// (symmetric per channel when the layer is float) and changes only the bit width; a scheme that
/// cannot store that width (NF4 at 8 bits, say) falls back to symmetric for the option.
public struct TuningOption: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Bits per weight, or `nil` for float32 weights.
    public var bits: Int?
    /// The fraction of the smallest weights pruned (0 < s < 1), or `nil` for no pruning.
    public var sparsity: Double?

    /// Creates an option.
    public init(bits: Int?, sparsity: Double? = nil) {
        self.bits = bits
        self.sparsity = sparsity
    }

    /// Float weights, no pruning: the layer as in the float model.
    public static let float = TuningOption(bits: nil)

    /// `float`, `4-bit`, `4-bit 50% pruned`.
    public var description: String {
        let width = bits.map { "\($0)-bit" } ?? "float"
        guard let sparsity else { return width }
        return "\(width) \(String(format: "%g", sparsity * 100))% pruned"
    }

    /// The layer settings this option gives a layer whose plan settings are `base`.
    public func settings(base: LayerSettings) -> LayerSettings {
        var settings = base.isFloat ? LayerSettings(bitWidth: 8, activationBits: base.activationBits) : base
        settings.bitWidth = bits
        settings.pruning = sparsity.map { .sparsity($0) }
        if let bits, !settings.scheme.allowedBitWidths.contains(bits) {
            settings.scheme = bits >= 2 ? .symmetric : .asymmetric
            if case .kmeans = base.scheme { settings.granularity = .channel }
        }
        return settings
    }
}

/// The options measured per layer: every bit width, each without pruning and at each sparsity.
public struct TuningMenu: Sendable, Hashable, Codable {
    /// Bit widths, e.g. `[8, 6, 4, 3, 2]`.
    public var bits: [Int]
    /// Pruned fractions combined with every bit width, e.g. `[0.5]` (empty: no pruning options).
    public var sparsities: [Double]

    /// Creates a menu.
    public init(bits: [Int], sparsities: [Double] = []) {
        self.bits = bits
        self.sparsities = sparsities
    }

    /// The sensitivity default: the layer's scheme at 8, 6, 4, 3 and 2 bits.
    public static let standard = TuningMenu(bits: [8, 6, 4, 3, 2])

    /// The search default: the standard widths, each also with half the weights pruned.
    public static let search = TuningMenu(bits: [8, 6, 4, 3, 2], sparsities: [0.5])

    /// Every option, widths in the order given, each unpruned then at each sparsity.
    public var options: [TuningOption] {
        bits.flatMap { width in
            [TuningOption(bits: width)] + sparsities.map { TuningOption(bits: width, sparsity: $0) }
        }
    }

    /// Checks the widths (1…16) and sparsities (0 < s < 1), naming the option that is wrong.
    ///
    /// - Throws: `TuningError.invalidMenu`.
    public func validated() throws -> TuningMenu {
        guard !bits.isEmpty else { throw TuningError.invalidMenu("the menu has no bit widths") }
        if let bad = bits.first(where: { !(1...16).contains($0) }) {
            throw TuningError.invalidMenu("\(bad) bits is outside 1…16")
        }
        if let bad = sparsities.first(where: { !($0 > 0 && $0 < 1) }) {
            throw TuningError.invalidMenu("sparsity \(bad) is outside (0, 1)")
        }
        if Set(bits).count != bits.count || Set(sparsities).count != sparsities.count {
            throw TuningError.invalidMenu("the menu lists a value twice")
        }
        return self
    }
}

/// What guided tuning refuses, as one line for the user.
public enum TuningError: Error, Equatable, CustomStringConvertible {
    /// A menu with an impossible width or sparsity.
    case invalidMenu(String)
    /// Sensitivity tables that cannot be merged or used together (file, problem).
    case incompatibleTable(file: String, problem: String)
    /// A search goal that cannot be met or makes no sense.
    case invalidGoal(String)
    /// Too many combinations for an exhaustive search.
    case tooManyCombinations(Int)

    public var description: String {
        switch self {
        case .invalidMenu(let problem): "invalid menu: \(problem)"
        case .incompatibleTable(let file, let problem): "\(Printable.name(file)): \(problem)"
        case .invalidGoal(let problem): problem
        case .tooManyCombinations(let count):
            "an exhaustive search over \(count) plans is too large (at most \(PlanSearch.exhaustiveLimit))"
        }
    }
}

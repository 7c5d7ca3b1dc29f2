import Foundation

/// The user's budgets (issue 14): how much accuracy a plan may lose and how large it may be.
///
/// Typed (dashboard key `b`) and saved (session presets, `"budgets"`) as one line of words,
/// each word one budget:
///
/// | word        | budget                                                     |
/// |-------------|------------------------------------------------------------|
/// | `1pt`       | accuracy: at most 1 top-1 point below float                |
/// | `99%`       | accuracy: at least 99 % agreement with float (fidelity)    |
/// | `40KiB`     | size: at most 40 KiB (`B`, `K`, `KiB`, `M`, `MB`…; × 1024) |
/// | `8x`        | size: at least 8× smaller than float                       |
/// | `3.5bpw`    | size: at most 3.5 stored bits per parameter                |
///
/// e.g. `1pt 8x`; an empty line (or `none`) clears both.
public struct Budgets: Sendable, Equatable {
    /// An accuracy budget.
    public enum Accuracy: Sendable, Equatable {
        /// At most this many top-1 points below float.
        case maxDrop(points: Double)
        /// At least this share (0…1) of predictions equal to float's.
        case minFidelity(Double)
    }

    /// A size budget.
    public enum Size: Sendable, Equatable {
        /// At most this many stored bytes.
        case bytes(Int)
        /// At least this many times smaller than float.
        case ratio(Double)
        /// At most this many stored bits per parameter.
        case bitsPerWeight(Double)
    }

    /// The accuracy budget, if set.
    public var accuracy: Accuracy?
    /// The size budget, if set.
    public var size: Size?

    /// Creates budgets.
    public init(accuracy: Accuracy? = nil, size: Size? = nil) {
        self.accuracy = accuracy
        self.size = size
    }

    /// Whether neither budget is set.
    public var isEmpty: Bool { accuracy == nil && size == nil }

    /// Reads a line such as `1pt 8x` (see the type's documentation).
    ///
    /// - Throws: `BudgetError.invalid` naming the word that is not a budget, or a second budget of a kind.
    public init(parsing line: String) throws {
        self.init()
        let words = line.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if words.map({ $0.lowercased() }) == ["none"] { return }
        for word in words {
            let lower = word.lowercased()
            if let accuracy = Budgets.accuracy(lower) {
                guard self.accuracy == nil else { throw BudgetError.invalid("'\(word)': a second accuracy budget") }
                self.accuracy = accuracy
            } else if let size = Budgets.size(lower) {
                guard self.size == nil else { throw BudgetError.invalid("'\(word)': a second size budget") }
                self.size = size
            } else {
                throw BudgetError.invalid(
                    "'\(word)' is not a budget (e.g. 1pt, 99%, 40KiB, 8x, 3.5bpw)")
            }
        }
    }

    static func number(_ text: Substring, suffix: String) -> Double? {
        guard text.hasSuffix(suffix) else { return nil }
        let value = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces))
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    static func accuracy(_ word: String) -> Accuracy? {
        let text = Substring(word)
        for suffix in ["pts", "pt"] {
            if let points = number(text, suffix: suffix) {
                return points >= 0 && points <= 100 ? .maxDrop(points: points) : nil
            }
        }
        if let percent = number(text, suffix: "%"), percent > 0, percent <= 100 { return .minFidelity(percent / 100) }
        return nil
    }

    static func size(_ word: String) -> Size? {
        let text = Substring(word)
        if let bits = number(text, suffix: "bpw") { return bits > 0 && bits <= 32 ? .bitsPerWeight(bits) : nil }
        if let ratio = number(text, suffix: "x") ?? number(text, suffix: "×") {
            return ratio >= 1 ? .ratio(ratio) : nil
        }
        let units: [(String, Double)] = [
            ("kib", 1024), ("kb", 1024), ("k", 1024), ("mib", 1_048_576), ("mb", 1_048_576), ("m", 1_048_576),
            ("gib", 1_073_741_824), ("gb", 1_073_741_824), ("g", 1_073_741_824), ("b", 1),
        ]
        for (suffix, factor) in units {
            if let value = number(text, suffix: suffix) {
                return value > 0 && value * factor < 1e15 ? .bytes(Int((value * factor).rounded(.down))) : nil
            }
        }
        if let value = Double(word), value >= 1, value < 1e15, value == value.rounded() { return .bytes(Int(value)) }
        return nil
    }

    /// The line that reads back as these budgets, e.g. `1pt 8x` (empty when none is set).
    public var text: String {
        var words: [String] = []
        switch accuracy {
        case .maxDrop(let points): words.append("\(Budgets.short(points))pt")
        case .minFidelity(let share): words.append("\(Budgets.short(share * 100))%")
        case nil: break
        }
        switch size {
        case .bytes(let bytes): words.append("\(bytes)B")
        case .ratio(let ratio): words.append("\(Budgets.short(ratio))x")
        case .bitsPerWeight(let bits): words.append("\(Budgets.short(bits))bpw")
        case nil: break
        }
        return words.joined(separator: " ")
    }

    /// `1`, `0.5`, `3.25`: a number without trailing zeros.
    public static func short(_ value: Double) -> String { String(format: "%g", value) }

    /// The most stored bytes the size budget allows for a model of `floatBytes` bytes as float and
    /// `parameters` parameters (weights and biases of its layers), or `nil` without a size budget.
    public func byteLimit(floatBytes: Int, parameters: Int) -> Int? {
        switch size {
        case .bytes(let bytes): bytes
        case .ratio(let ratio): Int((Double(floatBytes) / ratio).rounded(.down))
        case .bitsPerWeight(let bits): Int((bits * Double(parameters) / 8).rounded(.down))
        case nil: nil
        }
    }

    /// Whether a plan `points` top-1 points from float (negative: a drop) with `agreement`
    /// (0…1) meets the accuracy budget; `nil` without one or without the figure it needs.
    public func meetsAccuracy(deltaPoints: Double?, agreement: Double?) -> Bool? {
        switch accuracy {
        case .maxDrop(let points): deltaPoints.map { $0 >= -points - 1e-9 }
        case .minFidelity(let share): agreement.map { $0 >= share - 1e-12 }
        case nil: nil
        }
    }

    /// One phrase for the accuracy budget: `drop ≤ 1 pt`, `agreement ≥ 99 %`.
    public var accuracyLabel: String? {
        switch accuracy {
        case .maxDrop(let points): "drop ≤ \(Budgets.short(points)) pt"
        case .minFidelity(let share): "agreement ≥ \(Budgets.short(share * 100)) %"
        case nil: nil
        }
    }

    /// One phrase for the size budget: `≤ 40.0 KiB`, `≥ 8×`, `≤ 3.5 bpw`.
    public var sizeLabel: String? {
        switch size {
        case .bytes(let bytes): "≤ \(Formatting.bytes(bytes))"
        case .ratio(let ratio): "≥ \(Budgets.short(ratio))× smaller"
        case .bitsPerWeight(let bits): "≤ \(Budgets.short(bits)) bpw"
        case nil: nil
        }
    }
}

/// Why a budget line was refused.
public enum BudgetError: Error, Equatable, CustomStringConvertible {
    /// The problem, naming the word.
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let problem): problem
        }
    }
}

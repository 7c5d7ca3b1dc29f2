import CNcursesShim
import QuantTUI

/// Maps text attributes (`TextStyle`) to ncurses `WA_*` bits.
enum CellAttributes {
    /// The ncurses attribute bits for `style`: bold, dim, reverse and underline map one to one.
    static func attributes(for style: TextStyle) -> attr_t {
        var bits = qd_attr_normal()
        if style.contains(.bold) { bits |= qd_attr_bold() }
        if style.contains(.dim) { bits |= qd_attr_dim() }
        if style.contains(.reverse) { bits |= qd_attr_reverse() }
        if style.contains(.underline) { bits |= qd_attr_underline() }
        return bits
    }
}

/// Colour pairs allocated on first use: ncurses draws a cell in a numbered (foreground,
/// background) pair, and a frame only uses a handful of the 9 × 9 combinations.
///
/// Pair 0 is the terminal's own colours and is never allocated. `Color.default` is ncurses
/// colour -1 when `use_default_colors()` succeeded; otherwise the default foreground becomes
/// white (7) and the default background black (0). When the terminal's pairs run out, a style
/// falls back to its foreground on the default background, then to pair 0: text stays readable.
///
/// | style (fg, bg)       | with default colours | pair                 |
/// |----------------------|----------------------|----------------------|
/// | (default, default)   | —                    | 0                    |
/// | (red, default)       | (1, -1)              | 1 (first allocation) |
/// | (black, green)       | (0, 2)               | 2 (next allocation)  |
/// | (red, default) again | —                    | 1 (reused)           |
struct ColorPairTable: Sendable {
    /// A pair ncurses must learn (`init_pair(number, foreground, background)`) before use.
    struct Allocation: Equatable, Sendable {
        /// The pair number.
        var number: Int16
        /// The ncurses foreground colour (-1: terminal default).
        var foreground: Int16
        /// The ncurses background colour (-1: terminal default).
        var background: Int16
    }

    /// The pair to draw with, and the allocation to announce to ncurses if it is new.
    struct Lookup: Equatable, Sendable {
        /// The pair number (0: terminal default colours).
        var number: Int16
        /// Set when `number` was allocated by this lookup.
        var allocation: Allocation?
    }

    /// Pair numbers available: 1 ..< `pairCount`.
    let pairCount: Int
    /// How many colours the terminal has; colours at or above this count draw as the default.
    let colorCount: Int
    /// Whether colour -1 means "the terminal's default" (`use_default_colors()` succeeded).
    let hasDefaultColors: Bool
    private var numbers: [ColorKey: Int16] = [:]

    private struct ColorKey: Hashable, Sendable {
        var foreground: Int16
        var background: Int16
    }

    /// A table for a terminal with `pairCount` pairs (`COLOR_PAIRS`) and `colorCount` colours.
    init(pairCount: Int, colorCount: Int, hasDefaultColors: Bool) {
        self.pairCount = min(max(pairCount, 1), Int(Int16.max))
        self.colorCount = colorCount
        self.hasDefaultColors = hasDefaultColors
    }

    /// How many pairs have been allocated.
    var allocatedCount: Int { numbers.count }

    /// The pair for `foreground` on `background`, allocating one if needed and possible.
    mutating func pair(foreground: Color, background: Color) -> Lookup {
        let key = ColorKey(
            foreground: number(of: foreground, isForeground: true),
            background: number(of: background, isForeground: false))
        if foreground == .default && background == .default { return Lookup(number: 0) }
        if let existing = numbers[key] { return Lookup(number: existing) }
        if numbers.count + 1 < pairCount {
            let number = Int16(numbers.count + 1)
            numbers[key] = number
            return Lookup(
                number: number,
                allocation: Allocation(
                    number: number, foreground: key.foreground, background: key.background))
        }
        if background != .default {
            return pair(foreground: foreground, background: .default)
        }
        return Lookup(number: 0)
    }

    /// The ncurses colour number of `color`.
    func number(of color: Color, isForeground: Bool) -> Int16 {
        let value = color.rawValue
        if value >= 0 && value < colorCount { return Int16(value) }
        if hasDefaultColors { return -1 }
        return isForeground ? Int16(Color.white.rawValue) : Int16(Color.black.rawValue)
    }
}

/// A deterministic splitter: divides a rect into rows or columns by constraints.
///
/// The sizes always add up to the split extent (plus `spacing` between segments), so panes tile
/// the screen exactly. Resolution, in order:
/// 1. Each segment gets its base: `.length(n)` → n, `.percentage(p)` → ⌊extent · p / 100⌋,
///    `.min(n)` → n, `.max(_)` and `.fill` → 0.
/// 2. When the bases do not fit, segments keep them first come, first served: earlier segments
///    win, later ones shrink (to 0 if need be). A header declared first survives a tiny terminal.
/// 3. The rest is shared evenly by the growing segments (`.fill`, `.min`, `.max`): a `.min`
///    segment keeps its base when the even share is smaller, a `.max` segment stops at its bound,
///    a remainder goes one cell each to the first ones. With no growing segment (or all `.max`
///    full) the rest goes to the last segment.
///
/// Example: `vertical([.length(3), .fill, .percentage(30), .min(5)], in:)` a 30-row rect →
/// heights `[3, 9, 9, 9]`: bases 3, 0, 9, 5; the `.fill` and the `.min` share the 18 rows
/// left after the fixed ones.
public enum Layout {
    /// How big one segment wants to be.
    public enum Constraint: Sendable, Equatable, Hashable {
        /// Exactly `n` cells.
        case length(Int)
        /// `p` percent of the extent (rounded down).
        case percentage(Int)
        /// At least `n` cells; grows like `.fill`.
        case min(Int)
        /// Grows like `.fill`, but never past `n` cells.
        case max(Int)
        /// Whatever is left, shared evenly with the other growing segments.
        case fill
    }

    /// Splits `area` into stacked rows, one per constraint, top to bottom.
    public static func vertical(_ constraints: [Constraint], in area: Rect, spacing: Int = 0) -> [Rect] {
        let sizes = resolve(constraints, extent: area.height, spacing: spacing)
        var y = area.y
        return sizes.map { height in
            defer { y += height + max(spacing, 0) }
            return Rect(x: area.x, y: min(y, area.bottom), width: area.width, height: height)
        }
    }

    /// Splits `area` into side-by-side columns, one per constraint, left to right.
    public static func horizontal(_ constraints: [Constraint], in area: Rect, spacing: Int = 0) -> [Rect] {
        let sizes = resolve(constraints, extent: area.width, spacing: spacing)
        var x = area.x
        return sizes.map { width in
            defer { x += width + max(spacing, 0) }
            return Rect(x: min(x, area.right), y: area.y, width: width, height: area.height)
        }
    }

    /// The segment sizes for `constraints` along an `extent`; see the type's documentation.
    ///
    /// The result sums to `extent − spacing · (count − 1)` when that is positive; gaps are taken
    /// first and shrink too when the extent cannot hold them.
    public static func resolve(_ constraints: [Constraint], extent: Int, spacing: Int = 0) -> [Int] {
        guard !constraints.isEmpty else { return [] }
        let total = max(extent, 0)
        let gaps = min(max(spacing, 0) * (constraints.count - 1), total)
        var available = total - gaps
        let content = available
        var sizes = constraints.map { constraint -> Int in
            let wanted: Int
            switch constraint {
            case .length(let n), .min(let n): wanted = max(n, 0)
            case .percentage(let p): wanted = content * min(max(p, 0), 100) / 100
            case .max, .fill: wanted = 0
            }
            let granted = min(wanted, available)
            available -= granted
            return granted
        }
        distribute(&available, over: constraints, into: &sizes)
        if available > 0, let last = sizes.indices.last {
            sizes[last] += available
        }
        return sizes
    }

    /// Shares `available` between the growing segments (water filling): each gets an even share
    /// of the pool, a `.min` segment keeps its base when that is more, a `.max` segment stops at
    /// its bound; what is left over stays in `available`.
    private static func distribute(_ available: inout Int, over constraints: [Constraint], into sizes: inout [Int]) {
        var open = constraints.indices.filter { index in
            switch constraints[index] {
            case .fill, .min, .max: return true
            case .length, .percentage: return false
            }
        }
        var pool = available
        for index in open {
            if case .min = constraints[index] { pool += sizes[index] }
        }
        var isSettled = false
        while !isSettled, !open.isEmpty {
            isSettled = true
            let share = pool / open.count
            for index in open {
                switch constraints[index] {
                case .min where sizes[index] > share:
                    pool -= sizes[index]
                case .max(let bound) where max(bound, 0) <= share:
                    sizes[index] = max(bound, 0)
                    pool -= sizes[index]
                default:
                    continue
                }
                open.removeAll { $0 == index }
                isSettled = false
                break
            }
        }
        guard !open.isEmpty else {
            available = pool
            return
        }
        let share = pool / open.count
        var remainder = pool % open.count
        for index in open {
            sizes[index] = share
            if remainder > 0 {
                sizes[index] += 1
                remainder -= 1
            }
        }
        available = 0
    }
}

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

    /// Shares `available` between the growing segments (water filling): all rise to one level,
    /// a `.min` segment never below its base, a `.max` segment never above its bound; a remainder
    /// goes one cell each to the first segments that can still grow; what cannot be placed
    /// stays in `available`.
    private static func distribute(_ available: inout Int, over constraints: [Constraint], into sizes: inout [Int]) {
        var bounds: [(index: Int, low: Int, high: Int)] = []
        var pool = available
        for (index, constraint) in constraints.enumerated() {
            switch constraint {
            case .fill: bounds.append((index, 0, .max))
            case .min:
                bounds.append((index, sizes[index], .max))
                pool += sizes[index]
            case .max(let bound): bounds.append((index, 0, max(bound, 0)))
            case .length, .percentage: continue
            }
        }
        guard !bounds.isEmpty else { return }
        func filled(atLevel level: Int) -> Int {
            bounds.reduce(0) { $0 + Swift.min(Swift.max(level, $1.low), $1.high) }
        }
        // The highest level whose total fits in the pool (the total at level 0 is the bases).
        var lower = 0
        var upper = pool
        while lower < upper {
            let middle = (lower + upper + 1) / 2
            if filled(atLevel: middle) <= pool { lower = middle } else { upper = middle - 1 }
        }
        var remainder = pool - filled(atLevel: lower)
        for bound in bounds {
            sizes[bound.index] = Swift.min(Swift.max(lower, bound.low), bound.high)
            if remainder > 0, lower >= bound.low, lower < bound.high {
                sizes[bound.index] += 1
                remainder -= 1
            }
        }
        available = remainder
    }
}

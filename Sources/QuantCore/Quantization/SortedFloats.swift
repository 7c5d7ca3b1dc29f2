/// Sorting and order statistics for `Float` arrays, used by percentile clipping and k-means.
enum SortedFloats {
    /// `values` in ascending order (−0 before +0); a least-significant-digit radix sort on the
    /// order-preserving integer image of the bits, O(n), for large arrays.
    ///
    /// - Precondition: no NaN (callers reject non-finite weights first).
    static func ascending(_ values: [Float]) -> [Float] {
        let count = values.count
        guard count >= 1024 else { return values.sorted { orderKey($0) < orderKey($1) } }
        var keys = values.map(orderKey)
        var swap = [UInt32](repeating: 0, count: count)
        // Three passes of 11, 11 and 10 bits; all three digit histograms come from one read.
        let shifts: [UInt32] = [0, 11, 22]
        var offsets = [[Int]](repeating: [Int](repeating: 0, count: 2049), count: 3)
        for key in keys {
            offsets[0][Int(key & 0x7FF) + 1] += 1
            offsets[1][Int((key >> 11) & 0x7FF) + 1] += 1
            offsets[2][Int(key >> 22) + 1] += 1
        }
        for pass in 0..<3 {
            var starts = offsets[pass]
            for digit in 1...2048 { starts[digit] += starts[digit - 1] }
            let shift = shifts[pass]
            for key in keys {
                let digit = Int((key >> shift) & 0x7FF)
                swap[starts[digit]] = key
                starts[digit] += 1
            }
            Swift.swap(&keys, &swap)
        }
        return keys.map(value(ofKey:))
    }

    /// The `percentile`-th percentile (0…100) of ascending `sorted`, interpolating linearly between
    /// neighbours like NumPy's default: rank `p / 100 · (n − 1)`. 0 for an empty array.
    static func percentile(_ percentile: Double, ofSorted sorted: [Float]) -> Float {
        guard let last = sorted.last else { return 0 }
        let rank = min(max(percentile, 0), 100) / 100 * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let fraction = rank - Double(lower)
        guard fraction > 0, lower + 1 < sorted.count else { return lower < sorted.count ? sorted[lower] : last }
        return Float(Double(sorted[lower]) + fraction * (Double(sorted[lower + 1]) - Double(sorted[lower])))
    }

    /// An unsigned integer that orders like the float: flip all bits of negatives, the sign bit of positives.
    @inline(__always)
    static func orderKey(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// The float whose `orderKey` is `key`.
    @inline(__always)
    static func value(ofKey key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
}

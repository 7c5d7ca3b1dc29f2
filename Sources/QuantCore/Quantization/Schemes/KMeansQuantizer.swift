/// Weight sharing by k-means (Deep Compression, Han et al. 2016): `x ≈ codebook[q]`.
///
/// - One codebook per *layer* (as Deep Compression shares one per layer); `Granularity`,
///   `RangeMethod` and stochastic rounding are not used. `QuantizedWeights.blockCount` is 1 and
///   `scales` is empty.
/// - `k = 2^b` centroids from Lloyd's algorithm in 1-D: linear initialization over `[min, max]`
///   (Deep Compression found it best: it keeps the rare large weights), at most `maxIterations`
///   rounds, stopping early when no assignment changes. Each weight joins its nearest centroid
///   (ties to the lower index); a centroid whose cluster empties stays where it is; centroids are
///   re-sorted ascending after every round. Deterministic.
/// - Pruning: when any weight is pruned, code 0 is reserved for exact 0 (`codebook[0] = 0`),
///   pruned weights are excluded from clustering and the other `2^b − 1` codes are centroids of
///   the unpruned weights (unpruned weights always take a centroid). Without pruning, 0.0 is
///   not necessarily representable: it decodes to its nearest centroid.
/// - Storage: `b`-bit indices plus the codebook, `2^b` float32 values per layer:
///   `b + 32 · 2^b / weightCount` bits per weight.
///
/// Worked table, 1 bit, weights `[−1, −0.5, 0.5, 1.5]`: init centroids −1 and 1.5; the clusters
/// `{−1, −0.5}`, `{0.5, 1.5}` give centroids −0.75 and 1.0, which is stable:
///
/// | x | q | x' |
/// | --- | --- | --- |
/// | −1.0 | 0 | −0.75 |
/// | −0.5 | 0 | −0.75 |
/// | 0.5 | 1 | 1.0 |
/// | 1.5 | 1 | 1.0 |
enum KMeansQuantizer {
    /// The most Lloyd rounds run.
    static let maxIterations = 30

    /// Quantizes a whole layer: clusters the unpruned weights, then codes each weight by its nearest centroid.
    ///
    /// Complexity: O(n) radix sort, then O(k · log n · log k) per round on prefix sums, then O(n) assignment.
    static func quantize(_ values: [Float], isPruned: [Bool]?, bitWidth: Int) -> (codes: [Int32], codebook: [Float]) {
        let hasPruning = isPruned?.contains(true) ?? false
        var clustered = values
        if hasPruning, let isPruned {
            var kept = 0
            clustered.withUnsafeMutableBufferPointer { clustered in
                for i in values.indices {  // branch-free compaction of the unpruned weights
                    clustered[kept] = values[i]
                    kept += isPruned[i] ? 0 : 1
                }
            }
            clustered.removeLast(values.count - kept)
        }
        let centroidCount = (1 << bitWidth) - (hasPruning ? 1 : 0)
        let centroids = lloydSorted(clustered, centroidCount: centroidCount).map { Float($0) }
        let codebook = (hasPruning ? [0] : []) + centroids
        let codeOffset: Int32 = hasPruning ? 1 : 0
        var codes = assign(values, to: centroids.map(Double.init))
        if hasPruning, let isPruned {
            codes.withUnsafeMutableBufferPointer { codes in
                for i in codes.indices { codes[i] = isPruned[i] ? 0 : codes[i] + codeOffset }
            }
        }
        return (codes, codebook)
    }

    /// `nearestIndex` of every value, fast: the code is monotone in the value, so a table over the
    /// top 16 bits of each float's order key (`SortedFloats.orderKey`) gives the code of every
    /// bucket whose two ends share it; values in the few buckets that straddle a decision
    /// boundary are searched individually. Exactly `nearestIndex`, in about O(n + 65536 · log k).
    static func assign(_ values: [Float], to centroids: [Double]) -> [Int32] {
        let isStrictlyAscending = zip(centroids, centroids.dropFirst()).allSatisfy { $0 < $1 }
        guard isStrictlyAscending, !centroids.isEmpty, let minimum = values.min(), let maximum = values.max() else {
            return values.map { Int32(nearestIndex(Double($0), in: centroids)) }
        }
        let search = DecisionSearch(centroids)
        let unresolved = Int32(-1)
        let firstBucket = Int(SortedFloats.orderKey(minimum) >> 16),
            lastBucket = Int(SortedFloats.orderKey(maximum) >> 16)
        var table = [Int32](repeating: unresolved, count: lastBucket - firstBucket + 1)
        for bucket in firstBucket...lastBucket {
            let low = SortedFloats.value(ofKey: UInt32(bucket) << 16)
            let high = SortedFloats.value(ofKey: UInt32(bucket) << 16 | 0xFFFF)
            guard !low.isNaN, !high.isNaN else { continue }
            let code = search.code(of: Double(low))
            if code == search.code(of: Double(high)) { table[bucket - firstBucket] = code }
        }
        return values.map { value in
            let code = table[Int(SortedFloats.orderKey(value) >> 16) - firstBucket]
            return code != unresolved ? code : search.code(of: Double(value))
        }
    }

    /// `nearestIndex` for strictly ascending centroids as a branch-free binary search over the
    /// decisions "strictly nearer to `c[j+1]` than to `c[j]`", which hold for a prefix of `j`
    /// (centroids padded with +∞ to a power of two; ties stay low, as in `nearestIndex`).
    struct DecisionSearch {
        /// The centroids, padded with +∞ to a power of two plus one.
        private let padded: [Double]
        /// The padded centroid count, a power of two.
        private let count: Int

        /// Prepares the search over strictly ascending `centroids`.
        init(_ centroids: [Double]) {
            var padded = centroids
            while padded.count & (padded.count - 1) != 0 { padded.append(.infinity) }
            count = padded.count
            padded.append(.infinity)  // c[j + 1] for the last decision
            self.padded = padded
        }

        /// The index of the centroid nearest to `x`.
        func code(of x: Double) -> Int32 {
            var code = 0
            var step = count / 2
            while step > 0 {
                let j = code + step - 1
                code += x - padded[j] > padded[j + 1] - x ? step : 0
                step /= 2
            }
            return Int32(code)
        }
    }

    /// Centroids by Lloyd's algorithm on sorted values: in 1-D each cluster is an interval of the
    /// sorted values, found by binary search, and its mean comes from prefix sums.
    static func lloydSorted(_ values: [Float], centroidCount: Int) -> [Double] {
        guard !values.isEmpty else { return [Double](repeating: 0, count: centroidCount) }
        let sorted = SortedFloats.ascending(values)
        var prefixSums = [Double](repeating: 0, count: sorted.count + 1)
        for (i, x) in sorted.enumerated() { prefixSums[i + 1] = prefixSums[i] + Double(x) }
        var centroids = initialCentroids(
            minimum: Double(sorted[0]), maximum: Double(sorted[sorted.count - 1]), count: centroidCount)
        var ends = [Int](repeating: -1, count: centroidCount)  // cluster j = sorted[ends[j − 1] ..< ends[j]]
        for _ in 0..<maxIterations {
            // Assignments are monotone in the value, so cluster j ends at the first value assigned past j.
            var newEnds = [Int](repeating: 0, count: centroidCount)
            for j in 0..<centroidCount {
                newEnds[j] = partitionPoint(count: sorted.count) { nearestIndex(Double(sorted[$0]), in: centroids) > j }
            }
            if newEnds == ends { break }
            ends = newEnds
            var start = 0
            for j in 0..<centroidCount {
                if ends[j] > start {
                    centroids[j] = (prefixSums[ends[j]] - prefixSums[start]) / Double(ends[j] - start)
                }
                start = max(start, ends[j])
            }
            centroids.sort()
        }
        return centroids
    }

    /// The reference: plain Lloyd's algorithm, O(n · k) per round, same initialization and rules.
    static func lloydReference(_ values: [Float], centroidCount: Int) -> [Double] {
        guard let minimum = values.min(), let maximum = values.max() else {
            return [Double](repeating: 0, count: centroidCount)
        }
        var centroids = initialCentroids(minimum: Double(minimum), maximum: Double(maximum), count: centroidCount)
        var assignments = [Int](repeating: -1, count: values.count)
        for _ in 0..<maxIterations {
            let newAssignments = values.map { nearestIndex(Double($0), in: centroids) }
            if newAssignments == assignments { break }
            assignments = newAssignments
            var sums = [Double](repeating: 0, count: centroidCount)
            var counts = [Int](repeating: 0, count: centroidCount)
            for (x, j) in zip(values, assignments) {
                sums[j] += Double(x)
                counts[j] += 1
            }
            for j in 0..<centroidCount where counts[j] > 0 { centroids[j] = sums[j] / Double(counts[j]) }
            centroids.sort()
        }
        return centroids
    }

    /// `count` centroids evenly spaced over `[minimum, maximum]` (one centroid: the midpoint).
    static func initialCentroids(minimum: Double, maximum: Double, count: Int) -> [Double] {
        guard count > 1 else { return [(minimum + maximum) / 2] }
        return (0..<count).map { minimum + (maximum - minimum) * Double($0) / Double(count - 1) }
    }

    /// The index of the centroid nearest to `x` in ascending `centroids`; ties go to the lowest index.
    static func nearestIndex(_ x: Double, in centroids: [Double]) -> Int {
        // First centroid ≥ x, then compare with the run of equal centroids just below it.
        let upper = partitionPoint(count: centroids.count) { centroids[$0] >= x }
        guard upper > 0 else { return 0 }
        let lowerValue = centroids[upper - 1]
        let lower = partitionPoint(count: upper) { centroids[$0] >= lowerValue }
        guard upper < centroids.count else { return lower }
        return x - lowerValue <= centroids[upper] - x ? lower : upper
    }

    /// The first index in `0..<count` where the monotone `predicate` holds (`count` if none).
    static func partitionPoint(count: Int, where predicate: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

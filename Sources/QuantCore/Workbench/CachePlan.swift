/// Which layer boundaries the activation cache keeps within its byte budget.
///
/// A change to a layer re-runs the graph from the latest kept boundary at or before that layer,
/// so keeping boundary `b` saves, for every layer from `b` up to the next kept boundary, the
/// work of the nodes between the previous kept boundary and `b`. With every layer equally likely
/// to change, the plan greedily adds the boundary that saves the most work per byte until the
/// budget is spent (deep boundaries are cheap to keep and save the most; an early, wide one
/// saves little). Work is counted in multiply-adds per sample (`NodeCosts`).
struct CachePlan: Equatable {
    /// The boundaries kept, ascending.
    var boundaries: [Int]
    /// Bytes the kept boundaries need for the whole data set.
    var byteCount: Int

    /// The plan for a data set of `sampleCount` samples within `budget` bytes.
    ///
    /// - Parameters:
    ///   - candidates: boundary node indices, ascending (layer nodes after the first node).
    ///   - layerNodes: the node index of every layer (where a change starts).
    ///   - bytesPerSample: per candidate, bytes of the values a run from it reads, per sample.
    ///   - workBefore: per candidate, the work of every node before it, per sample.
    static func choose(
        candidates: [Int], layerNodes: [Int], bytesPerSample: [Int: Int], workBefore: [Int: Double],
        sampleCount: Int, budget: Int
    ) -> CachePlan {
        // Bounded effort on huge graphs: at most this many candidates, evenly spread.
        let limit = 512
        let pool =
            candidates.count <= limit
            ? candidates : (0..<limit).map { candidates[$0 * candidates.count / limit] }
        let layerNodes = layerNodes.sorted()
        /// Layers whose node lies in `lower..<upper`.
        func layersIn(_ lower: Int, _ upper: Int) -> Int {
            lowerIndex(layerNodes, upper) - lowerIndex(layerNodes, lower)
        }
        var kept: [Int] = []  // ascending
        var spent = 0
        var remaining = Set(pool)
        while true {
            var best: (boundary: Int, score: Double, bytes: Int)?
            for candidate in remaining {
                let bytes = (bytesPerSample[candidate] ?? 0).multipliedReportingOverflow(by: sampleCount)
                guard !bytes.overflow, spent + bytes.partialValue <= budget else { continue }
                let position = lowerIndex(kept, candidate)
                let previous = position > 0 ? kept[position - 1] : nil
                let next = position < kept.count ? kept[position] : Int.max
                let saved = (workBefore[candidate] ?? 0) - (previous.flatMap { workBefore[$0] } ?? 0)
                let gain = saved * Double(layersIn(candidate, next))
                guard gain > 0 else { continue }
                let score = gain / Double(max(bytes.partialValue, 1))
                if best == nil || score > best!.score || (score == best!.score && candidate > best!.boundary) {
                    best = (candidate, score, bytes.partialValue)
                }
            }
            guard let chosen = best else { break }
            kept.insert(chosen.boundary, at: lowerIndex(kept, chosen.boundary))
            spent += chosen.bytes
            remaining.remove(chosen.boundary)
        }
        // Greedy by ratio can lose to one big item (the knapsack classic): keep the better.
        func saved(_ boundaries: [Int]) -> Double {
            var total = 0.0
            for (index, boundary) in boundaries.enumerated() {
                let next = index + 1 < boundaries.count ? boundaries[index + 1] : Int.max
                total += (workBefore[boundary] ?? 0) * Double(layersIn(boundary, next))
            }
            return total
        }
        var plan = CachePlan(boundaries: kept, byteCount: spent)
        var bestSaved = saved(kept)
        for candidate in pool {
            let bytes = (bytesPerSample[candidate] ?? 0).multipliedReportingOverflow(by: sampleCount)
            guard !bytes.overflow, bytes.partialValue <= budget, saved([candidate]) > bestSaved else { continue }
            plan = CachePlan(boundaries: [candidate], byteCount: bytes.partialValue)
            bestSaved = saved([candidate])
        }
        return plan
    }

    /// The first index of `sorted` whose element is not below `value`.
    private static func lowerIndex(_ sorted: [Int], _ value: Int) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

import Foundation

/// Which layer boundaries the activation cache keeps within its byte budget.
///
/// A change to a layer re-runs the graph from the latest kept boundary at or before that layer
/// to the end. With every layer equally likely to change, and a re-run's cost felt relative to
/// itself (a late change going from 6 s to 1.5 s matters as much as an early one going from 60 s
/// to 15 s), the plan minimizes the sum over layers of the logarithm of the work re-run, i.e.
/// the geometric mean: it greedily adds the boundary whose log-saving per byte is largest until
/// the budget is spent. Deep boundaries are cheap to keep and cut a late change's re-run to a
/// fraction; an early, wide one saves relatively little. (Minimizing the arithmetic mean of the
/// work instead left ResNet-50's last convolution re-running its whole block, 4× its own work,
/// at 1000 images in 3 GiB.) Work is counted in multiply-adds per sample (`NodeCosts`).
struct CachePlan: Equatable {
    /// The boundaries kept, ascending.
    var boundaries: [Int]
    /// Bytes the kept boundaries need for the whole data set.
    var byteCount: Int
    /// Per candidate boundary, the work of every node before it, per sample (from the profile).
    var workBefore: [Int: Double] = [:]
    /// The work of a whole pass, per sample (0 when not profiled).
    var totalWork: Double = 0

    /// The plan for a data set of `sampleCount` samples within `budget` bytes.
    ///
    /// - Parameters:
    ///   - candidates: boundary node indices, ascending (layer nodes after the first node).
    ///   - layerNodes: the node index of every layer (where a change starts).
    ///   - bytesPerSample: per candidate, bytes of the values a run from it reads, per sample.
    ///   - workBefore: per candidate, the work of every node before it, per sample.
    ///   - totalWork: the work of a whole pass, per sample (above every `workBefore`; when
    ///     nil, just above the largest of them).
    static func choose(
        candidates: [Int], layerNodes: [Int], bytesPerSample: [Int: Int], workBefore: [Int: Double],
        totalWork: Double? = nil, sampleCount: Int, budget: Int
    ) -> CachePlan {
        let largest = workBefore.values.max() ?? 0
        let total = max(totalWork ?? 0, largest * 1.01 + 1)
        /// The log of the work a change re-runs when its run starts at `boundary` (nil: the data).
        func logCost(_ boundary: Int?) -> Double {
            log(max(total - (boundary.flatMap { workBefore[$0] } ?? 0), total * 1e-9))
        }
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
                let gain = (logCost(previous) - logCost(candidate)) * Double(layersIn(candidate, next))
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
            var sum = 0.0
            for (index, boundary) in boundaries.enumerated() {
                let next = index + 1 < boundaries.count ? boundaries[index + 1] : Int.max
                sum += (logCost(nil) - logCost(boundary)) * Double(layersIn(boundary, next))
            }
            return sum
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

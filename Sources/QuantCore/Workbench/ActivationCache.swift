/// Activations of the held-out set at layer boundaries, so that a change to one layer re-runs
/// only the part of the graph from that layer on.
///
/// An entry for boundary `i` (the index of a layer's node) holds, per evaluation batch, the
/// values a run starting at node `i` needs (`GraphExecutor.valuesRequired(toRunFrom: i)`),
/// computed with the settings of every layer before `i` — its *prefix*. The entry is valid for a
/// model exactly when that model's prefix is the same; each boundary keeps only its latest
/// prefix. Memory is capped: `Workbench` keeps only the boundaries its `CachePlan` chose within
/// `capacityBytes`, and drops the entries a run is about to replace before it starts; as a
/// safety net, an entry that would still exceed the cap evicts the least recently used ones
/// first, and one larger than the whole cap is not kept.
///
/// Not thread-safe on its own: `Workbench` guards it with its lock.
struct ActivationCache {
    /// One boundary's values for every batch, and what they were computed with.
    struct Entry {
        /// Settings of the layers before the boundary, in graph order.
        var prefix: [LayerSettings]
        /// Per batch (in `Dataset.batchRanges` order), the values a run from the boundary reads.
        var batches: [[String: Tensor]]
        /// Bytes of tensor storage held.
        var byteCount: Int
        /// Recency stamp for eviction.
        var lastUse: UInt64
    }

    /// The most bytes of activations kept.
    var capacityBytes: Int
    /// The batch size the entries were computed with; another size empties the cache.
    private(set) var batchSize = 0
    /// Entries by boundary node index.
    private(set) var entries: [Int: Entry] = [:]
    /// Bytes held by all entries.
    private(set) var byteCount = 0
    private var clock: UInt64 = 0

    /// An empty cache holding at most `capacityBytes`.
    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The latest boundary whose entry matches `prefixes(boundary)`, with its per-batch values.
    ///
    /// - Parameters:
    ///   - boundaries: candidate node indices.
    ///   - batchSize: the batch size of the coming run.
    ///   - prefix: the coming model's prefix for a boundary.
    mutating func bestStart(
        among boundaries: [Int], batchSize: Int, prefix: (Int) -> [LayerSettings]
    ) -> (boundary: Int, batches: [[String: Tensor]])? {
        guard batchSize == self.batchSize else { return nil }
        for boundary in boundaries.sorted(by: >) {
            guard var entry = entries[boundary], entry.prefix == prefix(boundary) else { continue }
            clock += 1
            entry.lastUse = clock
            entries[boundary] = entry
            return (boundary, entry.batches)
        }
        return nil
    }

    /// The boundary `bestStart` would return, without marking it used.
    func peekStart(among boundaries: [Int], batchSize: Int, prefix: (Int) -> [LayerSettings]) -> Int? {
        guard batchSize == self.batchSize else { return nil }
        return boundaries.sorted(by: >).first { entries[$0]?.prefix == prefix($0) }
    }

    /// Stores `batches` as boundary `boundary`'s values for `prefix`, evicting as needed.
    mutating func store(boundary: Int, prefix: [LayerSettings], batches: [[String: Tensor]], batchSize: Int) {
        if batchSize != self.batchSize {
            removeAll()
            self.batchSize = batchSize
        }
        if let old = entries.removeValue(forKey: boundary) { byteCount -= old.byteCount }
        let bytes = batches.reduce(0) { total, values in
            total + values.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride }
        }
        guard bytes <= capacityBytes else { return }
        while byteCount + bytes > capacityBytes,
            let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            byteCount -= oldest.value.byteCount
            entries.removeValue(forKey: oldest.key)
        }
        clock += 1
        entries[boundary] = Entry(prefix: prefix, batches: batches, byteCount: bytes, lastUse: clock)
        byteCount += bytes
    }

    /// Drops the entries of boundaries after `boundary` (a run from `boundary` replaces them).
    mutating func removeEntries(after boundary: Int) {
        for key in entries.keys where key > boundary {
            if let old = entries.removeValue(forKey: key) { byteCount -= old.byteCount }
        }
    }

    /// Drops every entry.
    mutating func removeAll() {
        entries.removeAll()
        byteCount = 0
    }
}

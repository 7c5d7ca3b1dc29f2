/// Layer reports by (layer, settings), bounded: beyond a budget of cached weights the least
/// recently used reports are dropped, so hours of tuning (every pruning step is new settings)
/// cannot grow memory without limit. The newest report is always kept.
///
/// Not thread-safe: `Workbench` guards it with its lock.
struct LayerReportCache {
    /// What a report is cached by.
    struct Key: Hashable {
        /// The layer's name.
        var layer: String
        /// Its settings.
        var settings: LayerSettings
        /// Which weights were quantized: "" for the model's, else the equalization's name.
        var variant = ""
    }

    /// The most weights (summed over cached reports) kept; a report costs about 10 bytes a weight.
    let weightBudget: Int
    private var entries: [Key: (report: LayerReport, lastUse: UInt64)] = [:]
    private var useCount: UInt64 = 0
    /// Weights in the cached reports.
    private(set) var cachedWeightCount = 0

    /// An empty cache holding at most `weightBudget` weights (and always the newest report).
    init(weightBudget: Int) {
        self.weightBudget = weightBudget
    }

    /// The budget for a model with `modelWeightCount` quantizable weights: two whole plans, and
    /// at least 4 M weights (about 40 MB) so small models keep many alternatives for undo.
    static func budget(forModelWeightCount modelWeightCount: Int) -> Int {
        max(2 * modelWeightCount, 4_000_000)
    }

    /// The number of cached reports.
    var count: Int { entries.count }

    /// The report for `key`, marking it used.
    mutating func report(for key: Key) -> LayerReport? {
        guard let entry = entries[key] else { return nil }
        useCount += 1
        entries[key] = (entry.report, useCount)
        return entry.report
    }

    /// Caches `report` under `key`, then drops least recently used reports beyond the budget.
    mutating func insert(_ report: LayerReport, for key: Key) {
        useCount += 1
        if let old = entries.updateValue((report, useCount), forKey: key) {
            cachedWeightCount -= old.report.floatWeights.storage.count
        }
        cachedWeightCount += report.floatWeights.storage.count
        while cachedWeightCount > weightBudget && entries.count > 1 {
            guard let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
            entries[oldest.key] = nil
            cachedWeightCount -= oldest.value.report.floatWeights.storage.count
        }
    }

    /// Drops every report.
    mutating func removeAll() {
        entries.removeAll()
        cachedWeightCount = 0
    }
}

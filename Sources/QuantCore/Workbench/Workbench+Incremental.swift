import Foundation

/// Fast evaluation: batches spread over worker threads, and on the held-out set, runs that start
/// at the latest layer boundary whose cached activations still hold for the model.
extension Workbench {
    /// The most layer boundaries whose activations are cached. Each kept boundary costs a pass
    /// over the graph (`valuesRequired`) and its settings prefix, so caching every boundary of a
    /// 20 000-layer chain was quadratic in time and memory (issue 16.9); evenly spaced ones keep
    /// re-runs short. 64 keeps every boundary of a ResNet-50 (53) and bounds the prefixes a long
    /// chain stores; the `CachePlan` then picks among these within the byte budget.
    static let maximumCachedBoundaries = 64

    /// Where each layer boundary's run starts: node indices of the layers, ascending, without 0
    /// (a run from node 0 starts from the data itself); at most `maximumCachedBoundaries`,
    /// evenly spaced and including the last, when the model has more layers.
    var layerBoundaries: [Int] {
        let all = Array(Set(layers.map(\.nodeIndex)).filter { $0 > 0 }).sorted()
        let kept = Workbench.maximumCachedBoundaries
        guard all.count > kept else { return all }
        return (1...kept).map { all[$0 * all.count / kept - 1] }
    }

    /// The settings of the layers before node `boundary`, in graph order.
    static func prefix(of settings: [LayerSettings], layers: [Layer], before boundary: Int) -> [LayerSettings] {
        zip(layers, settings).filter { $0.0.nodeIndex < boundary }.map(\.1)
    }

    /// The metrics of every batch of `dataset` (in `batchRanges(of: batchSize)` order) under
    /// `model` (float when nil), each computed from its logits on the thread that ran the batch.
    ///
    /// Batches are spread over `threadCount` workers. With `usesActivationCache` (only for the
    /// held-out set), each batch starts at the latest boundary cached for this model's prefix,
    /// and the boundaries after it are cached for the next change.
    ///
    /// - Parameters:
    ///   - progress: fraction of samples done, called after each batch (serialized).
    ///   - isCancelled: checked before each batch and between graph nodes; a cancelled run
    ///     caches nothing.
    /// - Throws: `CancellationError`; `GraphError` from a run.
    ///   - fidelityIndices: the held-out sample each sample of `dataset` is; when given, each
    ///     batch's fidelity to the float model is measured (`Workbench+Fidelity`).
    ///   - keepsRows: keep each batch's raw output in its metrics (`rows`): `.always`, or
    ///     `.withinReferenceBudget` (the float pass: only when all of them fit the budget).
    func batchMetrics(
        of dataset: Dataset, model: QuantizedModel?, usesActivationCache: Bool, batchSize: Int? = nil,
        fidelityIndices: [Int]? = nil, keepsRows: RowKeeping = .never,
        progress: ((Double) -> Void)?, onBatch: ((Int, Evaluator.BatchMetrics) -> Void)? = nil,
        isCancelled: () -> Bool
    ) throws -> [Evaluator.BatchMetrics] {
        let batchSize = batchSize ?? self.batchSize
        let ranges = dataset.batchRanges(of: batchSize)
        let settings = model.map { $0.layerReports.map(\.settings) } ?? layers.map { _ in LayerSettings.float }
        let layers = self.layers
        func prefix(_ boundary: Int) -> [LayerSettings] {
            Workbench.prefix(of: settings, layers: layers, before: boundary)
        }
        // Only the boundaries the cache plan keeps within the budget are cached, so memory is
        // bounded whatever the number of samples; entries after the start are replaced by this
        // run and dropped before it, so old and new never sit in memory together.
        // Other model inputs (a mask read deep in the graph) are not in the cached boundary values.
        let cached = usesActivationCache && dataset.extraInputs.isEmpty ? try cachePlan().boundaries : []
        let start: (boundary: Int, batches: [[String: Tensor]])? =
            cached.isEmpty
            ? nil
            : lock.withLock {
                let start = activationCache.bestStart(among: cached, batchSize: batchSize, prefix: prefix)
                activationCache.removeEntries(after: start?.boundary ?? 0)
                return start
            }
        let startNode = start?.boundary ?? 0
        let keptBoundaries = cached.filter { $0 > startNode }
        let boundaryValues = keptBoundaries.isEmpty ? [:] : self.boundaryValues
        let required = Dictionary(uniqueKeysWithValues: keptBoundaries.map { ($0, boundaryValues[$0] ?? []) })
        let keeping = required.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        let overrides = model?.weightOverrides ?? [:]
        let activations = model?.activationQuantization ?? [:]
        let storedFloat = fidelityIndices == nil ? nil : lock.withLock { floatOutputs }

        // The callbacks run on worker threads but never at the same time (ParallelBatches' lock).
        let workerCount = max(1, min(threadCount, ranges.count))
        let results = ParallelBatches(ranges: ranges, firstShared: workerCount)
        withoutActuallyEscaping(isCancelled) { isCancelled in
            let callbacks = SerializedCallbacks(progress: progress, onBatch: onBatch, isCancelled: isCancelled)
            // Worker w starts with batch w, so every core really works; then each takes the next
            // unclaimed batch, so a core the machine slows down does fewer rather than holding
            // up the pass.
            WorkerPool.shared.run(workerCount: workerCount) { worker in
                var next: Int? = worker < ranges.count ? worker : nil
                while let index = next {
                    next = results.claimNext()
                    guard results.shouldStart(isCancelled: callbacks.isCancelled) else { break }
                    do {
                        let outputs: [String: Tensor]
                        let isStopping = { results.isStopping(callbacks.isCancelled) }
                        if let start {
                            outputs = try executor.run(
                                from: start.boundary, values: start.batches[index], weightOverrides: overrides,
                                activationQuantization: activations, keeping: keeping, isCancelled: isStopping)
                        } else {
                            outputs = try executor.run(
                                dataset.inputs(in: ranges[index], main: inputName), weightOverrides: overrides,
                                activationQuantization: activations, keeping: keeping, isCancelled: isStopping)
                        }
                        guard let raw = outputs[outputName] else { throw GraphError.missingOutput(outputName) }
                        let range = ranges[index]
                        let logits = metricsLogits(raw, in: dataset)
                        var metrics = try Evaluator.metrics(of: logits, for: range, in: dataset)
                        if let fidelityIndices {
                            let reference = try floatReference(
                                indices: fidelityIndices[range], stored: storedFloat, like: raw,
                                inputs: { try dataset.inputs(in: range, main: inputName) }, isCancelled: isStopping)
                            metrics.fidelity = FidelitySums(
                                output: raw, reference: reference, logits: logits,
                                referenceLogits: metricsLogits(reference, in: dataset),
                                classes: outputsAreClasses(in: dataset))
                        }
                        switch keepsRows {
                        case .never: break
                        case .always: metrics.rows = raw.storage
                        case .withinReferenceBudget:
                            if keepsFloatOutputs(perSample: raw.count / max(range.count, 1)) {
                                metrics.rows = raw.storage
                            }
                        }
                        results.finish(
                            index, metrics: metrics, values: outputs, progress: callbacks.progress,
                            onBatch: callbacks.onBatch)
                    } catch {
                        results.fail(error)
                    }
                }
            }
        }
        let (metrics, values) = try results.collected()
        if !keptBoundaries.isEmpty {
            lock.withLock {
                for boundary in keptBoundaries {
                    let names = required[boundary] ?? []
                    activationCache.store(
                        boundary: boundary, prefix: prefix(boundary),
                        batches: values.map { $0.filter { names.contains($0.key) } }, batchSize: batchSize)
                }
            }
        }
        return metrics
    }

    /// Forgets every cached layer report, so the next `apply` re-quantizes (benchmarks, memory).
    public func removeLayerReports() {
        lock.withLock { layerCache.removeAll() }
    }

    /// Forgets every cached activation, so the next evaluation runs from the data.
    public func removeCachedActivations() {
        lock.withLock { activationCache.removeAll() }
    }

    /// One full pass over the held-out set from the data, `model` (float when nil) run in
    /// batches over `threadCount` workers, touching no cache: what a first evaluation costs.
    ///
    /// - Throws: `GraphError` from a run; `EvaluationError` for logits of the wrong shape.
    public func evaluateFromScratch(_ model: QuantizedModel?) throws -> EvalReport {
        let batches = try batchMetrics(
            of: heldOut, model: model, usesActivationCache: false, progress: nil, isCancelled: { false })
        return try Evaluator(batchSize: batchSize).evaluate(heldOut, batches: batches)
    }

    /// Bytes of activations currently cached.
    public var cachedActivationBytes: Int { lock.withLock { activationCache.byteCount } }
}

/// Which batches keep their raw outputs in their metrics.
enum RowKeeping {
    /// None.
    case never
    /// Every batch.
    case always
    /// Every batch when the whole held-out set's outputs fit `fidelityReferenceBytes`.
    case withinReferenceBudget
}

/// A caller's callbacks, handed to worker threads; `ParallelBatches` calls them under its lock,
/// so they never run concurrently.
private struct SerializedCallbacks: @unchecked Sendable {
    let progress: ((Double) -> Void)?
    let onBatch: ((Int, Evaluator.BatchMetrics) -> Void)?
    let isCancelled: () -> Bool
}

/// The shared state of one parallel evaluation: which batch is next, the results so far, the
/// first error.
private final class ParallelBatches: @unchecked Sendable {
    private let lock = NSLock()
    private let ranges: [Range<Int>]
    private var doneSamples = 0
    private var error: Error?
    private var metrics: [Evaluator.BatchMetrics?]
    private var values: [[String: Tensor]]
    /// The next batch no worker has claimed (batches below `firstShared` are the workers' first).
    private var nextUnclaimed: Int

    init(ranges: [Range<Int>], firstShared: Int) {
        self.ranges = ranges
        metrics = Array(repeating: nil, count: ranges.count)
        values = Array(repeating: [:], count: ranges.count)
        nextUnclaimed = firstShared
    }

    /// Claims the next batch nobody has taken, or `nil` when all are taken.
    func claimNext() -> Int? {
        lock.withLock {
            guard nextUnclaimed < metrics.count else { return nil }
            defer { nextUnclaimed += 1 }
            return nextUnclaimed
        }
    }

    /// Whether to start another batch: false once one failed or the run is cancelled.
    func shouldStart(isCancelled: () -> Bool) -> Bool {
        lock.withLock {
            if error == nil, Task.isCancelled || isCancelled() { error = CancellationError() }
            return error == nil
        }
    }

    /// Whether the run should stop now (checked between graph nodes, so a stale run stops
    /// within one node rather than one batch).
    func isStopping(_ isCancelled: () -> Bool) -> Bool {
        lock.withLock {
            if error == nil, Task.isCancelled || isCancelled() { error = CancellationError() }
            return error != nil
        }
    }

    /// Records batch `index`'s results and reports progress (the fraction of samples done).
    func finish(
        _ index: Int, metrics batchMetrics: Evaluator.BatchMetrics, values batchValues: [String: Tensor],
        progress: ((Double) -> Void)?, onBatch: ((Int, Evaluator.BatchMetrics) -> Void)?
    ) {
        lock.withLock {
            onBatch?(index, batchMetrics)
            metrics[index] = batchMetrics
            values[index] = batchValues
            doneSamples += ranges[index].count
            progress?(Double(doneSamples) / Double(max(ranges.last?.upperBound ?? 1, 1)))
        }
    }

    /// Records the first failure; later batches are not started.
    func fail(_ failure: Error) {
        lock.withLock {
            if error == nil { error = failure }
        }
    }

    /// Every batch's metrics and kept values, in order.
    ///
    /// - Throws: the first failure.
    func collected() throws -> ([Evaluator.BatchMetrics], [[String: Tensor]]) {
        try lock.withLock {
            if let error { throw error }
            let all = metrics.compactMap { $0 }
            guard all.count == metrics.count else { throw CancellationError() }
            return (all, values)
        }
    }
}

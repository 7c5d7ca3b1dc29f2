/// Structured (filter) pruning in evaluation: which filters each `"prune": {"filters": s}` layer
/// loses (read off its pruning mask), whether the removal can propagate (`FilterRemoval`), and
/// the overrides that make the removed channels exactly 0 — the bias at those channels, and
/// every BatchNormalization on the way set to map 0 to 0 — so the masked model computes what the
/// smaller exported model computes.
extension Workbench {
    /// The removals of every filter-pruned layer among `reports`.
    ///
    /// - Throws: `PlanError.invalidField` at `layers.NAME.prune.filters` when removal cannot
    ///   propagate from the layer (its output feeds an Add, a Concat, a graph output, …).
    func filterRemovals(for reports: [LayerReport]) throws -> [FilterRemoval] {
        var removals: [FilterRemoval] = []
        for report in reports {
            guard case .filters? = report.settings.pruning else { continue }
            let path = PlanPath.root.appending("layers").appending(report.layer.name).appending("prune")
                .appending("filters").description
            let removed = Workbench.removedChannels(of: report)
            switch FilterRemoval.find(for: report.layer, removing: removed, in: graph, layers: layers) {
            case .success(let removal):
                if !removed.isEmpty { removals.append(removal) }
            case .failure(let refusal):
                throw PlanError.invalidField(
                    file: "", path: path, problem: "filters cannot be removed: \(refusal.message)")
            }
        }
        return removals
    }

    /// Why `layer`'s filters cannot be removed (removal cannot propagate from its output), or nil.
    public func filterPruningProblem(for layer: Layer) -> String? {
        if case .failure(let refusal) = FilterRemoval.find(for: layer, removing: [], in: graph, layers: layers) {
            return refusal.message
        }
        return nil
    }

    /// The output channels whose whole row the layer's pruning mask covers, ascending.
    static func removedChannels(of report: LayerReport) -> [Int] {
        guard let mask = report.quantized?.prunedMask, !mask.isEmpty else { return [] }
        let rows = Pruner.ChannelRows(
            shape: report.layer.weightShape, outputChannelAxis: report.layer.outputChannelAxis)
        guard rows.rowLength > 0, mask.count == report.layer.weightCount else { return [] }
        return (0..<rows.channelCount).filter { channel in
            (0..<rows.rowLength).allSatisfy { mask[rows.flatIndex(channel: channel, position: $0)] }
        }
    }

    /// Zeroes the removed channels' bias and makes each BatchNormalization on the way map them
    /// to 0 (`B[c] = mean[c] · a[c]`, `a = scale / sqrt(var + ε)`, the executor's own formula).
    func maskRemovedFilters(_ removals: [FilterRemoval], overrides: inout [String: Tensor]) {
        for removal in removals {
            guard let layer = layer(named: removal.layer) else { continue }
            if let biasName = layer.biasName, var bias = overrides[biasName] ?? graph.initializers[biasName] {
                for channel in removal.removed where channel < bias.storage.count { bias.storage[channel] = 0 }
                overrides[biasName] = bias
            }
            for norm in removal.batchNorms {
                guard let scale = graph.initializers[norm.scale], var bias = graph.initializers[norm.bias],
                    let mean = graph.initializers[norm.mean], let variance = graph.initializers[norm.variance]
                else { continue }
                let (multiplier, _) = Ops.batchNormalizationCoefficients(
                    scale: scale.storage, bias: bias.storage, mean: mean.storage, variance: variance.storage,
                    epsilon: norm.epsilon)
                for channel in removal.removed where channel < bias.storage.count {
                    bias.storage[channel] = mean.storage[channel] * multiplier[channel]
                }
                overrides[norm.bias] = bias
            }
        }
    }
}

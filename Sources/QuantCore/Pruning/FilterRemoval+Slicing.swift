/// Cutting the removed channels out of tensors, quantized weights and a whole `QuantizedModel`:
/// what the exports write and the size model counts.
extension FilterRemoval {
    /// The flat indices of `shape` kept when `slice` removes `removed` channels along its axis.
    static func keptIndices(shape: [Int], slice: Slice, removed: Set<Int>) -> [Int]? {
        guard shape.indices.contains(slice.axis), slice.block >= 1 else { return nil }
        let extent = shape[slice.axis]
        let outer = shape[..<slice.axis].reduce(1, *)
        let inner = shape[(slice.axis + 1)...].reduce(1, *)
        let positions = (0..<extent).filter { !removed.contains($0 / slice.block) }
        var indices: [Int] = []
        indices.reserveCapacity(outer * positions.count * inner)
        for o in 0..<outer {
            for p in positions {
                let start = (o * extent + p) * inner
                indices.append(contentsOf: start..<(start + inner))
            }
        }
        return indices
    }

    /// `shape` with the slice's axis shortened by the removed channels.
    static func slicedShape(_ shape: [Int], slice: Slice, removedCount: Int) -> [Int] {
        var result = shape
        if result.indices.contains(slice.axis) { result[slice.axis] -= removedCount * slice.block }
        return result
    }

    /// `tensor` without the removed channels along the slice's axis (unchanged for a bad axis).
    func sliced(_ tensor: Tensor, by slice: Slice) -> Tensor {
        guard let indices = Self.keptIndices(shape: tensor.shape, slice: slice, removed: Set(removed)),
            tensor.storage.count == tensor.shape.reduce(1, *)
        else { return tensor }
        return Tensor(
            shape: Self.slicedShape(tensor.shape, slice: slice, removedCount: removed.count),
            storage: indices.map { tensor.storage[$0] })
    }

    /// `weights` without the removed channels: codes, values and mask; per-channel scales and zero
    /// points too when the slice runs along the output-channel axis (per-tensor ones are kept;
    /// per-group blocks no longer line up, and exports store such layers as floats anyway).
    func sliced(_ weights: QuantizedWeights, by slice: Slice) -> QuantizedWeights {
        guard let indices = Self.keptIndices(shape: weights.shape, slice: slice, removed: Set(removed)) else {
            return weights
        }
        let count = weights.dequantized.count
        var result = weights
        result.shape = Self.slicedShape(weights.shape, slice: slice, removedCount: removed.count)
        result.dequantized = indices.map { weights.dequantized[$0] }
        if weights.codes.count == count { result.codes = indices.map { weights.codes[$0] } }
        if weights.prunedMask.count == count { result.prunedMask = indices.map { weights.prunedMask[$0] } }
        if case .channel = weights.settings.granularity, slice.axis == weights.outputChannelAxis,
            weights.scales.count == weights.shape[slice.axis]
        {
            let keptChannels = kept
            result.scales = keptChannels.map { weights.scales[$0] }
            if weights.zeroPoints.count == weights.scales.count {
                result.zeroPoints = keptChannels.map { weights.zeroPoints[$0] }
            }
            result.blockCount = result.scales.count
        }
        return result
    }

    /// The graph and model with every removal applied: initializers, overrides and layer
    /// weights sliced, layer shapes and sizes recomputed. The graph's nodes are unchanged, so
    /// node indices and layer names stay valid.
    public static func applying(
        _ removals: [FilterRemoval], to graph: Graph, model: QuantizedModel
    ) -> (graph: Graph, model: QuantizedModel) {
        guard !removals.isEmpty else { return (graph, model) }
        var graph = graph
        var model = model
        for removal in removals {
            for slice in removal.slices + removal.consumers.map(\.slice) {
                if let tensor = graph.initializers[slice.name] {
                    graph.initializers[slice.name] = removal.sliced(tensor, by: slice)
                }
                if let tensor = model.weightOverrides[slice.name] {
                    model.weightOverrides[slice.name] = removal.sliced(tensor, by: slice)
                }
                for index in model.layerReports.indices {
                    var report = model.layerReports[index]
                    if report.layer.weightName == slice.name {
                        report.floatWeights = removal.sliced(report.floatWeights, by: slice)
                        report.quantized = report.quantized.map { removal.sliced($0, by: slice) }
                        report.layer.weightShape = report.floatWeights.shape
                        report.layer.weightCount = report.floatWeights.count
                    }
                    if report.layer.biasName == slice.name {
                        report.layer.biasCount = graph.initializers[slice.name]?.count ?? report.layer.biasCount
                    }
                    model.layerReports[index] = report
                }
            }
        }
        var quantizedByLayer: [String: QuantizedWeights] = [:]
        for report in model.layerReports {
            quantizedByLayer[report.layer.name] = report.quantized
        }
        model.size = SizeModel.report(
            layers: model.layerReports.map(\.layer), quantized: quantizedByLayer, allInitializers: graph.initializers)
        for index in model.layerReports.indices {
            let report = model.layerReports[index]
            model.layerReports[index].size = model.size.layers[index]
            model.layerReports[index].qdqWeightBytes = QDQWeightEncoding.storedBytes(
                of: report.quantized, weightCount: report.layer.weightCount)
        }
        return (graph, model)
    }
}

import Foundation

extension Workbench {
    /// The boundaries the activation cache keeps for the held-out set within its budget
    /// (measured once, on one sample; see `CachePlan`).
    ///
    /// - Throws: `GraphError` when the sample run fails; `ModelIOError` when a streamed data
    ///   file can no longer be read.
    func cachePlan() throws -> CachePlan {
        let budget = activationCacheBytes
        if let plan = lock.withLock({ cachePlanState }), plan.budget == budget { return plan.plan }
        let boundaries = layerBoundaries
        var plan = CachePlan(boundaries: [], byteCount: 0)
        if budget > 0, !boundaries.isEmpty, heldOut.count > 0 {
            let profile = try sampleProfile()
            plan = CachePlan.choose(
                candidates: boundaries, layerNodes: layers.map(\.nodeIndex),
                bytesPerSample: profile.bytesPerSample, workBefore: profile.workBefore, totalWork: profile.totalWork,
                sampleCount: heldOut.count,
                budget: budget)
            plan.workBefore = profile.workBefore
            plan.totalWork = profile.totalWork
        }
        lock.withLock { cachePlanState = (budget, plan) }
        return plan
    }

    /// The values a run from each layer boundary reads (computed once).
    var boundaryValues: [Int: Set<String>] {
        if let known = lock.withLock({ boundaryValuesState }) { return known }
        let values = Dictionary(
            uniqueKeysWithValues: layerBoundaries.map { ($0, executor.valuesRequired(toRunFrom: $0)) })
        lock.withLock { boundaryValuesState = values }
        return values
    }

    /// Per boundary, the bytes per sample of the values a run from it reads, and the work of
    /// the nodes before it, from one float run on the first held-out sample.
    private func sampleProfile() throws -> (bytesPerSample: [Int: Int], workBefore: [Int: Double], totalWork: Double) {
        let outputs = Set(graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty })
        let values = try executor.run(heldOut.inputs(in: 0..<1, main: inputName), keeping: outputs)
        var workBefore: [Int: Double] = [:]
        var work = 0.0
        let boundarySet = Set(layerBoundaries)
        for (index, node) in graph.nodes.enumerated() {
            if boundarySet.contains(index) { workBefore[index] = work }
            work += Workbench.work(of: node, outputs: node.outputs.compactMap { values[$0] }, graph: graph)
        }
        var bytesPerSample: [Int: Int] = [:]
        for (boundary, names) in boundaryValues {
            bytesPerSample[boundary] = names.reduce(0) {
                $0 + (values[$1]?.count ?? 0) * MemoryLayout<Float>.stride
            }
        }
        return (bytesPerSample, workBefore, work)
    }

    /// The share of a whole pass over the held-out set that evaluating `model` exactly re-runs:
    /// the work from the latest cached boundary whose prefix matches `model`'s to the end, over
    /// a whole pass's (1 when nothing cached fits, or the cache is off). The engine skips its
    /// estimate when this exact run costs no more than the estimate would.
    public func exactRerunShare(for model: QuantizedModel) -> Double {
        guard heldOut.count > 0, heldOut.extraInputs.isEmpty,
            let plan = lock.withLock({ cachePlanState?.plan }), plan.totalWork > 0
        else { return 1 }
        let settings = model.layerReports.map(\.settings)
        let layers = self.layers
        let start = lock.withLock {
            activationCache.peekStart(among: plan.boundaries, batchSize: batchSize) {
                Workbench.prefix(of: settings, layers: layers, before: $0)
            }
        }
        guard let start, let before = plan.workBefore[start] else { return 1 }
        return min(1, max(0, (plan.totalWork - before) / plan.totalWork))
    }

    /// Per layer, the share of a whole pass's work (multiply-adds, from one float run on the
    /// first held-out sample) from the layer's node to the end: what a change to that layer
    /// re-runs when the boundary before it is cached. Progress estimates weigh evaluations by it.
    ///
    /// - Throws: `GraphError` when the sample run fails.
    public func rerunShares() throws -> [String: Double] {
        guard heldOut.count > 0 else { return [:] }
        let outputs = Set(graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty })
        let values = try executor.run(heldOut.inputs(in: 0..<1, main: inputName), keeping: outputs)
        var workBefore: [Double] = []
        var work = 0.0
        for node in graph.nodes {
            workBefore.append(work)
            work += Workbench.work(of: node, outputs: node.outputs.compactMap { values[$0] }, graph: graph)
        }
        guard work > 0 else { return [:] }
        return Dictionary(
            layers.map { ($0.name, max(0, work - workBefore[min($0.nodeIndex, workBefore.count - 1)]) / work) },
            uniquingKeysWith: { a, _ in a })
    }

    /// Multiply-adds (or element operations) of `node` for one sample: output elements times
    /// the reduction length of its weight when it has one (Conv, Gemm, MatMul).
    static func work(of node: Node, outputs: [Tensor], graph: Graph) -> Double {
        let elements = Double(outputs.reduce(0) { $0 + $1.count })
        guard let output = outputs.first,
            let weight = node.inputs.dropFirst().lazy.compactMap({ graph.initializers[$0] }).first(where: {
                $0.rank >= 2
            })
        else { return elements }
        let channels = output.rank == 4 ? output.shape[1] : (output.shape.last ?? 1)
        return elements * Double(max(weight.count / max(channels, 1), 1))
    }
}

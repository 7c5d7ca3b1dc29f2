/// How fast a model's integer lowering runs beside its float graph on this CPU, whole model and
/// per layer, in milliseconds per image.
///
/// Both passes run the same images on the calling thread (one thread each, as one batch of an
/// evaluation runs): one image alone, and a batch. Each is run once to warm up (packed weights,
/// allocator) and then `runs` times, float and integer interleaved so that a machine busy with
/// other work slows both alike; every figure is the median of its runs. Whole-model times come
/// from plain runs, per-layer times from a second run of each with a clock read around every
/// node or step (so those reads never count in the whole). The float pass is the
/// float model itself (no fake quantization); the integer pass includes quantizing the input
/// and dequantizing the output. A layer's time is its Conv / Gemm / MatMul node (with the
/// activation the float executor fuses into it) against its integer step (with the ReLU or Clip
/// folded into requantization).
public struct LatencyProfile: Sendable, Equatable {
    /// Whole-model figures for one pass.
    public struct Pass: Sendable, Equatable {
        /// Median milliseconds of one image run alone.
        public var msPerImage: Double
        /// Median milliseconds of a batch of `batchSize` images, divided by `batchSize`.
        public var batchMsPerImage: Double
    }

    /// One quantizable layer's figures.
    public struct Layer: Sendable, Equatable {
        /// The layer's name in plans.
        public var name: String
        /// Median milliseconds of the float node and of the integer step, one image alone.
        public var floatMs: Double, integerMs: Double
        /// The same in a batch, per image.
        public var batchFloatMs: Double, batchIntegerMs: Double

        /// How many times faster the integer step is (one image); 0 when it took no measurable time.
        public var speedup: Double { integerMs > 0 ? floatMs / integerMs : 0 }
    }

    /// Timed runs when the caller does not say.
    public static let defaultRuns = 5
    /// Images in the timed batch when the caller does not say (fewer when the data set has fewer).
    public static let defaultBatchSize = 32

    /// The float model and the integer model.
    public var float: Pass, integer: Pass
    /// The lowered layers, in graph order.
    public var layers: [Layer]
    /// Timed runs each figure is the median of (after one warm-up run).
    public var runs: Int
    /// Images in the timed batch.
    public var batchSize: Int

    /// How many times faster the integer model is on one image; 0 when it took no measurable time.
    public var speedup: Double { integer.msPerImage > 0 ? float.msPerImage / integer.msPerImage : 0 }
    /// The same for the batch.
    public var batchSpeedup: Double {
        integer.batchMsPerImage > 0 ? float.batchMsPerImage / integer.batchMsPerImage : 0
    }

    /// Times `integer` against `executor`'s float graph on `image` (one sample) and `batch`.
    ///
    /// - Parameters:
    ///   - layerNodes: the node index of each quantizable layer in the float graph, by name.
    ///   - runs: timed runs after the warm-up, at least 1.
    ///   - isCancelled: checked before each run.
    /// - Throws: what either pass throws; `CancellationError` when cancelled.
    public static func measure(
        integer: IntegerModel, float executor: GraphExecutor, layerNodes: [String: Int], image: Tensor,
        batch: Tensor, runs: Int, isCancelled: () -> Bool = { false }
    ) throws -> LatencyProfile {
        let runs = max(runs, 1)
        var integer = integer
        integer.threads = 1  // one thread, as the float executor runs one batch
        let linearSteps: [(name: String, step: Int)] = integer.steps.enumerated().compactMap { index, step in
            if case .linear(let layer) = step { (layer.layerName, index) } else { nil }
        }
        let timed = linearSteps.compactMap { entry in layerNodes[entry.name].map { (entry.name, entry.step, $0) } }
        let samples = [image, batch]
        // [sample][pass] → per run: whole seconds and per-layer seconds.
        var whole = [[[Double]]](repeating: [[], []], count: 2)
        var perLayer = [[[[Double]]]](repeating: [[], []], count: 2)
        for run in 0...runs {
            for (which, input) in samples.enumerated() {
                if isCancelled() { throw CancellationError() }
                // The whole model untouched, then again with each layer timed (the per-node
                // clock reads would otherwise count in the whole, more often for float).
                var started = ContinuousClock.now
                _ = try executor.run([integer.inputName: input])
                let floatSeconds = (ContinuousClock.now - started).seconds
                started = ContinuousClock.now
                _ = try integer.run(input)
                let integerSeconds = (ContinuousClock.now - started).seconds
                var nodes: [Int: Double] = [:]
                _ = try executor.run(
                    [integer.inputName: input], keeping: [],
                    nodeSeconds: { index, seconds in nodes[index, default: 0] += seconds })
                var steps: [Int: Double] = [:]
                _ = try integer.outputCodes(
                    input, stepSeconds: { index, seconds in steps[index, default: 0] += seconds })
                guard run > 0 else { continue }  // the warm-up
                whole[which][0].append(floatSeconds)
                whole[which][1].append(integerSeconds)
                perLayer[which][0].append(timed.map { nodes[$0.2] ?? 0 })
                perLayer[which][1].append(timed.map { steps[$0.1] ?? 0 })
            }
        }
        let images = [1.0, Double(max(batch.shape.first ?? 1, 1))]
        func ms(_ sample: Int, _ pass: Int) -> Double { median(whole[sample][pass]) * 1000 / images[sample] }
        func layerMs(_ sample: Int, _ pass: Int, _ layer: Int) -> Double {
            median(perLayer[sample][pass].map { $0[layer] }) * 1000 / images[sample]
        }
        return LatencyProfile(
            float: Pass(msPerImage: ms(0, 0), batchMsPerImage: ms(1, 0)),
            integer: Pass(msPerImage: ms(0, 1), batchMsPerImage: ms(1, 1)),
            layers: timed.indices.map { layer in
                Layer(
                    name: timed[layer].0, floatMs: layerMs(0, 0, layer), integerMs: layerMs(0, 1, layer),
                    batchFloatMs: layerMs(1, 0, layer), batchIntegerMs: layerMs(1, 1, layer))
            },
            runs: runs, batchSize: Int(images[1]))
    }

    /// The middle value (the mean of the two middle values for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension Workbench {
    /// Times `integer` (lowered from a plan by `integerModel(for:)`) against the float model on
    /// the first held-out image alone and on the first `batchSize` held-out images.
    ///
    /// - Throws: `EvaluationError.emptyDataset` without held-out images; what either pass throws.
    public func latencyProfile(
        of integer: IntegerModel, runs: Int = LatencyProfile.defaultRuns,
        batchSize: Int = LatencyProfile.defaultBatchSize, isCancelled: () -> Bool = { false }
    ) throws -> LatencyProfile {
        guard heldOut.count > 0 else { throw EvaluationError.emptyDataset(dataset: heldOut.name) }
        let layerNodes = Dictionary(layers.map { ($0.name, $0.nodeIndex) }, uniquingKeysWith: { first, _ in first })
        return try LatencyProfile.measure(
            integer: integer, float: executor, layerNodes: layerNodes, image: try heldOut.images(in: 0..<1),
            batch: try heldOut.images(in: 0..<min(max(batchSize, 1), heldOut.count)), runs: runs,
            isCancelled: isCancelled)
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 17.4: structured (filter) pruning. The filters chosen against plain loops; the masked
/// evaluation against the smaller exported model run by our own executor (demo models and a
/// synthetic graph with BatchNormalization, pooling, Flatten and a MatMul bias); refusals where
/// removal cannot propagate; the plan form; the size model.
@Suite struct FilterPruningTests {
    static let values = BiasCorrectionTests.values

    // MARK: Choice of filters

    /// Plain reference: the L1 norm of every channel by visiting each weight's multi-index,
    /// then the `round(s · C)` smallest (ties lower index first) by repeated minimum search.
    static func referenceRemoved(_ weights: Tensor, axis: Int, fraction: Double) -> [Int] {
        let channels = weights.shape[axis]
        var norms = [Double](repeating: 0, count: channels)
        let strides = (0..<weights.rank).map { weights.shape[($0 + 1)...].reduce(1, *) }
        for flat in 0..<weights.count {
            let channel = (flat / strides[axis]) % channels
            norms[channel] += Double(abs(weights.storage[flat]))
        }
        let count = Int((fraction * Double(channels)).rounded(.toNearestOrEven))
        var removed: [Int] = []
        for _ in 0..<count {
            var best = -1
            for c in 0..<channels where !removed.contains(c) {
                if best < 0 || norms[c] < norms[best] { best = c }
            }
            removed.append(best)
        }
        return removed.sorted()
    }

    @Test func chosenFiltersMatchPlainLoops() {
        var checked = 0
        for (index, (shape, axis)) in [
            ([8, 3, 3, 3], 0), ([16, 4, 1, 1], 0), ([20, 12], 1), ([12, 20], 0), ([5, 7], 1), ([3, 2, 5, 5], 0),
        ].enumerated() {
            let count = shape.reduce(1, *)
            // Half the tensors on a coarse grid, so equal norms (ties) occur.
            let raw = Self.values(count, UInt64(90 + index))
            let storage = index % 2 == 0 ? raw.map { ($0 * 4).rounded() / 4 } : raw
            let weights = Tensor(shape: shape, storage: storage)
            for fraction in [0.0, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9] {
                let expected = Self.referenceRemoved(weights, axis: axis, fraction: fraction)
                let removed = Pruner.prunedFilters(of: weights, outputChannelAxis: axis, fraction: fraction)
                #expect(removed == expected, "\(shape) axis \(axis) s \(fraction)")
                let mask = Pruner.mask(for: weights, outputChannelAxis: axis, rule: .filters(fraction))
                let strides = (0..<shape.count).map { shape[($0 + 1)...].reduce(1, *) }
                let expectedMask = (0..<count).map { expected.contains(($0 / strides[axis]) % shape[axis]) }
                #expect(mask == expectedMask, "\(shape) axis \(axis) s \(fraction)")
                checked += 1
            }
        }
        #expect(checked == 42)
    }

    @Test func workedExample() {
        // Rows (norms 2, 0.5, 2, 0.5) at s = 0.5: k = 2, channels 1 and 3.
        let weights = Tensor(shape: [4, 2], storage: [1, -1, 0.5, 0, 0, -2, 0.25, 0.25])
        #expect(Pruner.prunedFilters(of: weights, outputChannelAxis: 0, fraction: 0.5) == [1, 3])
        // round(0.5 · 5) = 2 (half to even), round(0.3 · 5) = 2, round(0.1 · 4) = 0.
        let five = Tensor(shape: [5, 1], storage: [5, 4, 3, 2, 1])
        #expect(Pruner.prunedFilters(of: five, outputChannelAxis: 0, fraction: 0.5) == [3, 4])
        #expect(Pruner.prunedFilters(of: five, outputChannelAxis: 0, fraction: 0.3) == [3, 4])
        #expect(Pruner.prunedFilters(of: weights, outputChannelAxis: 0, fraction: 0.1) == [])
    }

    // MARK: The removed export computes what the masked evaluation does

    /// Runs `plan` masked (the workbench) and removed (QDQ export of the smaller model, run by a
    /// fresh executor) on `batch`; returns the largest difference relative to each row's largest
    /// |value|, and the parameter counts of the exported and the float graph.
    static func compare(
        _ workbench: Workbench, _ plan: QuantPlan, batch: Tensor
    ) throws -> (
        difference: Float, exported: Int, float: Int, model: QuantizedModel
    ) {
        let model = try workbench.apply(plan)
        let removed = FilterRemoval.applying(model.filterRemovals, to: workbench.graph, model: model)
        let qdq = try QDQExporter.qdqGraph(from: removed.graph, quantized: removed.model)
        let masked = try workbench.logits(for: batch, model: model)
        let input = try #require(workbench.graph.inputs.first?.name)
        let output = try #require(workbench.graph.outputs.first?.name)
        let executor = try GraphExecutor(graph: qdq)
        let exported = try #require(try executor.run([input: batch])[output])
        let actual = workbench.graph.classifierLogits(exported)
        #expect(actual.shape == masked.shape)
        let width = max(masked.shape.last ?? 1, 1)
        var worst: Float = 0
        for row in 0..<(masked.count / width) {
            let range = (row * width)..<((row + 1) * width)
            let scale = max(masked.storage[range].map(abs).max() ?? 1, 1e-12)
            for i in range { worst = max(worst, abs(masked.storage[i] - actual.storage[i]) / scale) }
        }
        return (worst, qdq.parameterCount, workbench.graph.parameterCount, model)
    }

    @Test(arguments: [BundledModel.cnn, .mlp])
    func theSmallerExportComputesTheMaskedOutputs(model demo: BundledModel) throws {
        let workbench = try WorkbenchTests.workbench(demo)
        let images = try workbench.heldOut.images(in: 0..<64)
        let layers = demo == .cnn ? ["conv1", "conv2", "fc1"] : ["fc1", "fc2"]
        for defaults in [
            LayerSettings(), LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel),
            LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor),
        ] {
            var plan = QuantPlan(defaults: defaults)
            for (index, name) in layers.enumerated() {
                var settings = defaults
                settings.pruning = .filters(index == 0 ? 0.5 : 0.25)
                plan.layers[name] = settings
            }
            let result = try Self.compare(workbench, plan, batch: images)
            #expect(result.difference <= 1e-5, "\(demo) \(defaults.bitWidthLabel): \(result.difference)")
            #expect(result.exported < result.float)
            // The masked model does prune: without the rule it computes something else.
            let unpruned = try workbench.logits(for: images, model: try workbench.apply(QuantPlan(defaults: defaults)))
            #expect(unpruned != (try workbench.logits(for: images, model: result.model)))
            // Sizes are those of the smaller model.
            let plain = try workbench.apply(QuantPlan(defaults: defaults))
            #expect(result.model.size.currentBytes < plain.size.currentBytes)
            let first = try #require(result.model.report(for: layers[0]))
            let channels = first.layer.weightShape[first.layer.outputChannelAxis]
            #expect(first.size.weightCount == first.layer.weightCount / channels * (channels - channels / 2))
        }
    }

    @Test func theCExportOfTheSmallerModelPredictsLikeTheEngine() throws {
        let workbench = try WorkbenchTests.workbench(.cnn)
        let defaults = LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel)
        var plan = QuantPlan(defaults: defaults)
        for name in ["conv1", "conv2", "fc1"] {
            var settings = defaults
            settings.pruning = .filters(0.25)
            plan.layers[name] = settings
        }
        let model = try workbench.apply(plan)
        let removed = FilterRemoval.applying(model.filterRemovals, to: workbench.graph, model: model)
        let export = try CExporter.generate(removed.model, graph: removed.graph, name: "qmodel", path: "qmodel")
        #expect(export.flashBytes == model.size.currentBytes)
        #expect(CExporterTests.declaredArrayBytes(in: export.source) == model.size.currentBytes)
        let unpruned = try workbench.apply(QuantPlan(defaults: defaults))
        #expect(model.size.currentBytes < unpruned.size.currentBytes * 3 / 4)
        guard let compiler = CExporterTests.compiler else {
            print("skipping the C build: no C compiler (cc, gcc, clang) on PATH")
            return
        }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CExporter.write(export, into: folder, overwrite: false)
        try Data(CExporterTests.driver(name: export.name).utf8).write(to: folder.appendingPathComponent("driver.c"))
        let program = folder.appendingPathComponent("driver")
        let build = try CExporterTests.run(
            compiler,
            ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program.path, "driver.c", "qmodel.c", "-lm"],
            in: folder)
        try #require(build.status == 0, "C build failed:\n\(build.output)")
        let files = try DemoData.heldOutFiles()
        let result = try CExporterTests.run(program, [files.images.path, files.labels.path], in: folder)
        try #require(result.status == 0, "driver failed:\n\(result.output)")
        let predictions = result.output.split(separator: "\n").compactMap { Int($0) }
        let report = try workbench.evaluate(model)
        try #require(predictions.count == report.predictions.count)
        let agreeing = zip(predictions, report.predictions).filter { $0 == $1 }.count
        #expect(agreeing >= predictions.count - 2, "\(agreeing) of \(predictions.count) predictions agree")
    }

    @Test(arguments: [BundledModel.cnn, .mlp])
    func theTFLiteFileIsTheSmallerModel(model demo: BundledModel) throws {
        var plan = QuantPlan(defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel))
        for name in demo == .cnn ? ["conv1", "conv2", "fc1"] : ["fc1", "fc2"] {
            plan.layers[name] = plan.defaults
            plan.layers[name]?.pruning = .filters(0.5)
        }
        let (file, workbench, export) = try TFLiteExporterTests.export(plan, model: demo)
        let (plain, _, plainExport) = try TFLiteExporterTests.export(QuantPlan(defaults: plan.defaults), model: demo)
        #expect(export.bytes.count < plainExport.bytes.count * 3 / 4)
        let expected = try workbench.evaluate(try workbench.apply(plan))
        let rebuilt = try Workbench(graph: try file.graph(), heldOut: try DemoData.heldOutSet(), calibration: nil)
        let actual = try rebuilt.floatReport()
        let differing = zip(actual.predictions, expected.predictions).filter { $0 != $1 }.count
        #expect(differing == 0, "\(demo): \(differing) predictions differ")
        #expect(try file.graph().parameterCount < (try plain.graph().parameterCount))
    }

    /// `x [?, 3, 6, 6]` → conv_a (3→6, pads 1) → BatchNormalization → Relu → MaxPool 2 → conv_b
    /// (6→4, 1×1) → Clip(0, 6) → Flatten → fc (Gemm transB [5, 36]) → Relu → mm (MatMul [5, 4])
    /// → Add bias → Relu → head (MatMul [4, 3]) → Add → y; with `residual`, conv_b's Clip output
    /// is added to itself through an Add instead.
    static func graph(residual: Bool = false) -> Graph {
        let initializers: [String: Tensor] = [
            "wa": Tensor(shape: [6, 3, 3, 3], storage: values(162, 51)),
            "ba": Tensor(shape: [6], storage: values(6, 52)),
            "scale": Tensor(shape: [6], storage: values(6, 53).map { 1 + $0 }),
            "shift": Tensor(shape: [6], storage: values(6, 54)),
            "mean": Tensor(shape: [6], storage: values(6, 55)),
            "var": Tensor(shape: [6], storage: values(6, 56).map { 0.5 + $0 }),
            "wb": Tensor(shape: [4, 6, 1, 1], storage: values(24, 57)),
            "bb": Tensor(shape: [4], storage: values(4, 58)),
            "wfc": Tensor(shape: [5, 36], storage: values(180, 59)),
            "bfc": Tensor(shape: [5], storage: values(5, 60)),
            "wm": Tensor(shape: [5, 4], storage: values(20, 61)),
            "bm": Tensor(shape: [4], storage: values(4, 62)),
            "wh": Tensor(shape: [4, 3], storage: values(12, 63)),
            "bh": Tensor(shape: [3], storage: values(3, 64)),
            "low": Tensor(scalar: 0), "high": Tensor(scalar: 6),
        ]
        let nodes = [
            Node(
                name: "conv_a", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "wa", "ba"], outputs: ["a"]
            ),
            Node(
                name: "bn", op: .batchNormalization(epsilon: 1e-5), inputs: ["a", "scale", "shift", "mean", "var"],
                outputs: ["n"]),
            Node(name: "relu_a", op: .relu, inputs: ["n"], outputs: ["ra"]),
            Node(
                name: "pool", op: .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2])), inputs: ["ra"],
                outputs: ["p"]),
            Node(name: "conv_b", op: .conv(ConvAttributes()), inputs: ["p", "wb", "bb"], outputs: ["b"]),
            Node(name: "clip", op: .clip(min: nil, max: nil), inputs: ["b", "low", "high"], outputs: ["cb"]),
        ]
        let tail =
            residual
            ? [Node(name: "res", op: .add, inputs: ["cb", "cb"], outputs: ["cr"])]
            : [Node(name: "same", op: .identity, inputs: ["cb"], outputs: ["cr"])]
        let rest = [
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["cr"], outputs: ["f"]),
            Node(name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["f", "wfc", "bfc"], outputs: ["g"]),
            Node(name: "relu_g", op: .relu, inputs: ["g"], outputs: ["rg"]),
            Node(name: "mm", op: .matMul, inputs: ["rg", "wm"], outputs: ["m"]),
            Node(name: "mm_bias", op: .add, inputs: ["m", "bm"], outputs: ["mb"]),
            Node(name: "relu_m", op: .relu, inputs: ["mb"], outputs: ["rm"]),
            Node(name: "head", op: .matMul, inputs: ["rm", "wh"], outputs: ["h"]),
            Node(name: "head_bias", op: .add, inputs: ["h", "bh"], outputs: ["y"]),
        ]
        return Graph(
            name: "filters", inputs: [ValueInfo(name: "x", shape: [nil, 3, 6, 6])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3])], initializers: initializers, nodes: nodes + tail + rest)
    }

    static func workbench(residual: Bool = false) throws -> Workbench {
        try Workbench(
            graph: graph(residual: residual), heldOut: try CrossLayerEqualizationTests.data(12, seed: 71),
            calibration: try CrossLayerEqualizationTests.data(16, seed: 72))
    }

    @Test func batchNormPoolingFlattenAndMatMulBiasesPropagate() throws {
        let workbench = try Self.workbench()
        let batch = try CrossLayerEqualizationTests.data(12, seed: 73).images
        for defaults in [LayerSettings(), LayerSettings(bitWidth: 8, granularity: .channel)] {
            var plan = QuantPlan(defaults: defaults)
            for (name, fraction) in [("conv_a", 0.5), ("conv_b", 0.25), ("fc", 0.4), ("mm", 0.5)] {
                var settings = defaults
                settings.pruning = .filters(fraction)
                plan.layers[name] = settings
            }
            let result = try Self.compare(workbench, plan, batch: batch)
            #expect(result.difference <= 1e-5, "\(defaults.bitWidthLabel): \(result.difference)")
            let removals = result.model.filterRemovals
            #expect(removals.map(\.layer) == ["conv_a", "conv_b", "fc", "mm"])
            #expect(removals.map(\.removed.count) == [3, 1, 2, 2])
            #expect(removals[0].batchNorms.count == 1)
            #expect(removals[1].consumers.map(\.slice) == [FilterRemoval.Slice(name: "wfc", axis: 1, block: 9)])
            #expect(removals[3].slices.map(\.name) == ["wm", "bm"])
            // The BatchNormalization maps the removed channels to exactly 0 in evaluation.
            let bias = try #require(result.model.weightOverrides["shift"])
            #expect(bias != workbench.graph.initializers["shift"])
            // conv_a 3 of 6 filters (81 weights, 3 biases, 12 BN values), conv_b 1 of 4 filters and
            // 3 of 6 inputs (4·6 → 3·3 weights, 1 bias), fc 2 of 5 rows and 1 of 4 input blocks of 9
            // (5·36 → 3·27), mm 2 of 4 columns (5·4 → 3·2, 2 biases), head 2 of 4 rows (12 → 6).
            if defaults.bitWidth == nil {
                let removed = (81 + 3 + 12) + (24 - 9 + 1) + (180 - 81 + 2) + (20 - 6 + 2) + (12 - 6)
                #expect(result.float - result.exported == removed)
            }
            #expect(result.exported < result.float)
        }
    }

    // MARK: Refusals

    @Test func removalThatCannotPropagateIsRefusedNamingTheLayer() throws {
        let mlp = try WorkbenchTests.workbench(.mlp)
        var plan = QuantPlan()
        plan.layers["fc3"] = LayerSettings(pruning: .filters(0.2))
        #expect {
            try mlp.apply(plan)
        } throws: {
            "\($0)"
                == "layers.fc3.prune.filters: filters cannot be removed: its output reaches the graph output 'logits'"
        }
        let residual = try Self.workbench(residual: true)
        plan = QuantPlan()
        plan.layers["conv_b"] = LayerSettings(pruning: .filters(0.25))
        #expect {
            try residual.apply(plan)
        } throws: {
            "\($0)".hasPrefix("layers.conv_b.prune.filters: filters cannot be removed: its output feeds Add 'res'")
        }
        // conv_a is still fine in that graph: its consumer conv_b is reached through BN, Relu, MaxPool.
        plan.layers = ["conv_a": LayerSettings(pruning: .filters(0.5))]
        #expect(try residual.apply(plan).filterRemovals.count == 1)
    }

    // MARK: Plan form

    @Test func planFormRoundTripsAndChecksItsRange() throws {
        let text = #"{"version": 1, "layers": {"fc1": {"bits": 8, "prune": {"filters": 0.25}}}}"#
        let plan = try QuantPlan.decoded(from: Data(text.utf8), file: "plan.json")
        #expect(plan.layers["fc1"]?.pruning == .filters(0.25))
        #expect(plan.layers["fc1"]?.pruningLabel == "filters 25%")
        let again = try QuantPlan.decoded(from: try plan.encoded(), file: "plan.json")
        #expect(again == plan)
        let bad = #"{"version": 1, "layers": {"fc1": {"prune": {"filters": 1}}}}"#
        #expect {
            try QuantPlan.decoded(from: Data(bad.utf8), file: "plan.json")
        } throws: {
            "\($0)".contains("layers.fc1.prune.filters: 1.0 is out of range (0 ≤ fraction of filters < 1)")
        }
    }
}

import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct GraphExecutorTests {
    typealias H = OpsTestHelpers

    static let convAttributes = ConvAttributes(pads: [1, 1, 1, 1])
    static let poolAttributes = PoolAttributes(kernelShape: [2, 2], strides: [2, 2])

    /// Conv(1→3, 3×3, pad 1)→Relu→MaxPool(2)→Flatten→Gemm(transB, 48→4)→Softmax on [N, 1, 8, 8].
    static func smallCNN() -> Graph {
        Graph(
            name: "cnn", inputs: [ValueInfo(name: "image", shape: [nil, 1, 8, 8])],
            outputs: [ValueInfo(name: "probabilities", shape: [nil, 4])],
            initializers: [
                "conv.w": H.random([3, 1, 3, 3], seed: 51), "conv.b": H.random([3], seed: 52),
                "fc.w": H.random([4, 48], seed: 53), "fc.b": H.random([4], seed: 54),
            ],
            nodes: [
                Node(name: "conv", op: .conv(convAttributes), inputs: ["image", "conv.w", "conv.b"], outputs: ["c"]),
                Node(name: "relu", op: .relu, inputs: ["c"], outputs: ["r"]),
                Node(name: "pool", op: .maxPool(poolAttributes), inputs: ["r"], outputs: ["p"]),
                Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
                Node(
                    name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["f", "fc.w", "fc.b"],
                    outputs: ["logits"]),
                Node(name: "softmax", op: .softmax(axis: -1), inputs: ["logits"], outputs: ["probabilities"]),
            ])
    }

    /// The same computation composed by hand from the kernels.
    static func handComposed(_ image: Tensor, _ weights: [String: Tensor]) throws -> Tensor {
        func weight(_ name: String) throws -> Tensor { try #require(weights[name]) }
        var x = try Ops.convolution(image, weight: weight("conv.w"), bias: weight("conv.b"), attributes: convAttributes)
        Ops.relu(&x)
        x = try Ops.pool(.max, x, attributes: poolAttributes)
        x = try Ops.flatten(x, axis: 1)
        x = try Ops.gemm(x, weight("fc.w"), weight("fc.b"), attributes: GemmAttributes(transposeB: true))
        try Ops.softmax(&x, axis: -1)
        return x
    }

    @Test func runsAGraphLikeTheComposedKernels() throws {
        let graph = Self.smallCNN()
        let image = H.random([3, 1, 8, 8], seed: 60)
        let result = try GraphExecutor(graph: graph).run(["image": image])
        #expect(Array(result.keys) == ["probabilities"])
        let expected = try Self.handComposed(image, graph.initializers)
        H.expectClose(try #require(result["probabilities"]), expected, rtol: 0, atol: 0)
    }

    @Test func weightOverridesApplyForOneRunOnly() throws {
        let graph = Self.smallCNN()
        let executor = try GraphExecutor(graph: graph)
        let image = H.random([2, 1, 8, 8], seed: 61)
        let plain = try #require(try executor.run(["image": image])["probabilities"])
        let replacement = H.random([4, 48], seed: 99)
        let overridden = try #require(
            try executor.run(["image": image], weightOverrides: ["fc.w": replacement])["probabilities"])
        #expect(plain != overridden)
        var weights = graph.initializers
        weights["fc.w"] = replacement
        H.expectClose(overridden, try Self.handComposed(image, weights), rtol: 0, atol: 0)
        // The float model is untouched and the next run is the plain one again.
        #expect(executor.graph.initializers == graph.initializers)
        #expect(try executor.run(["image": image])["probabilities"] == plain)
    }

    @Test func badOverridesAreErrors() throws {
        let executor = try GraphExecutor(graph: Self.smallCNN())
        let image = H.random([1, 1, 8, 8], seed: 62)
        let wrongShape = H.graphError {
            _ = try executor.run(["image": image], weightOverrides: ["fc.w": H.random([4, 47], seed: 1)])
        }
        #expect(H.mismatchNode(wrongShape) == "fc")
        let unknown = H.graphError {
            _ = try executor.run(["image": image], weightOverrides: ["nope": Tensor(scalar: 1)])
        }
        #expect(unknown == .unknownValue(node: "weightOverrides", value: "nope"))
    }

    @Test func keepingReturnsIntermediates() throws {
        let graph = Self.smallCNN()
        let image = H.random([2, 1, 8, 8], seed: 63)
        let result = try GraphExecutor(graph: graph).run(["image": image], keeping: ["f", "c", "image"])
        #expect(Set(result.keys) == ["probabilities", "f", "c", "image"])
        let c = try Ops.convolution(
            image, weight: try #require(graph.initializers["conv.w"]), bias: graph.initializers["conv.b"],
            attributes: Self.convAttributes)
        #expect(result["c"] == c)  // kept values are not modified by later in-place ops
        #expect(result["f"]?.shape == [2, 48])
        #expect(result["image"] == image)
    }

    @Test func suffixRunEqualsFullRun() throws {
        let graph = Self.smallCNN()
        let executor = try GraphExecutor(graph: graph)
        let image = H.random([3, 1, 8, 8], seed: 64)
        let everything = Set(graph.nodes.flatMap(\.outputs)).union(["image"])
        let cache = try executor.run(["image": image], keeping: everything)
        let overrides = ["fc.w": H.random([4, 48], seed: 65)]
        let full = try executor.run(["image": image], weightOverrides: overrides)
        for start in 0...graph.nodes.count {
            let required = executor.valuesRequired(toRunFrom: start)
            let values = cache.filter { required.contains($0.key) }
            let suffix = try executor.run(from: start, values: values, weightOverrides: overrides)
            if start <= 4 {  // the Gemm (index 4) re-runs with the override
                #expect(suffix == full, "start \(start)")
            } else {
                #expect(suffix["probabilities"] == cache["probabilities"], "start \(start)")
            }
        }
        #expect(executor.valuesRequired(toRunFrom: 4) == ["f"])
        #expect(executor.valuesRequired(toRunFrom: 0) == ["image"])
        #expect(executor.valuesRequired(toRunFrom: graph.nodes.count) == ["probabilities"])
        let missing = H.graphError { _ = try executor.run(from: 4, values: [:]) }
        #expect(missing == .missingInput("f"))
    }

    @Test func gemmShapeMismatchNamesTheNode() throws {
        var graph = Self.smallCNN()
        graph.initializers["fc.w"] = H.random([4, 50], seed: 66)  // expects 50 features, gets 48
        let executor = try GraphExecutor(graph: graph)
        let error = H.graphError { _ = try executor.run(["image": H.random([1, 1, 8, 8], seed: 67)]) }
        guard case .shapeMismatch(let node, let op, let detail) = error else {
            Issue.record("expected shapeMismatch, got \(String(describing: error))")
            return
        }
        #expect(node == "fc" && op == "Gemm")
        #expect(detail.contains("48") && detail.contains("50"))
    }

    @Test func inputsAreCheckedAndNotModified() throws {
        let executor = try GraphExecutor(graph: Self.smallCNN())
        #expect(H.graphError { _ = try executor.run([:]) } == .missingInput("image"))
        #expect(
            H.mismatchNode(H.graphError { _ = try executor.run(["image": H.random([1, 1, 8, 9], seed: 1)]) }) == "image"
        )
        // A value read by two nodes, the first in place: Add(Relu(x), x) = relu(x) + x.
        let graph = Graph(
            name: "fanout", inputs: [ValueInfo(name: "x", shape: [nil, 3])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3])],
            initializers: [:],
            nodes: [
                Node(name: "relu", op: .relu, inputs: ["x"], outputs: ["r"]),
                Node(name: "add", op: .add, inputs: ["r", "x"], outputs: ["y"]),
            ])
        let x = H.tensor([1, 3], [-1, 2, -3])
        // relu(x) + x = [0 − 1, 2 + 2, 0 − 3] = [−1, 4, −3]
        #expect(try GraphExecutor(graph: graph).run(["x": x])["y"]?.storage == [-1, 4, -3])
        #expect(x.storage == [-1, 2, -3])
    }

    @Test func intermediatesAreReleasedAfterTheirLastReader() throws {
        let executor = try GraphExecutor(graph: Self.smallCNN())
        // Each chain value is released by the node that reads it; the graph output never is.
        #expect(executor.releases == [["image"], ["c"], ["r"], ["p"], ["f"], ["logits"]])
    }

    @Test func configurationErrorsAtInit() {
        func initError(_ nodes: [Node], initializers: [String: Tensor] = [:]) -> GraphError? {
            H.graphError {
                _ = try GraphExecutor(
                    graph: Graph(
                        name: "bad", inputs: [ValueInfo(name: "x", shape: [])],
                        outputs: [ValueInfo(name: "y", shape: [])],
                        initializers: initializers, nodes: nodes))
            }
        }
        #expect(
            initError([Node(name: "n", op: .relu, inputs: ["ghost"], outputs: ["y"])])
                == .unknownValue(node: "n", value: "ghost"))
        #expect(initError([Node(name: "n", op: .relu, inputs: ["x"], outputs: ["z"])]) == .missingOutput("y"))
        let conv3D = initError(
            [Node(name: "c3", op: .conv(ConvAttributes()), inputs: ["x", "w"], outputs: ["y"])],
            initializers: ["w": Tensor(shape: [1, 1, 2, 2, 2])])
        #expect(conv3D == .unsupported(node: "c3", op: "Conv", detail: "3-D convolution (only 1-D and 2-D)"))
        let indices = initError([
            Node(name: "mp", op: .maxPool(PoolAttributes(kernelShape: [2])), inputs: ["x"], outputs: ["y", "idx"])
        ])
        #expect(indices == .unsupported(node: "mp", op: "MaxPool", detail: "the Indices output"))
        guard
            case .invalidAttribute(node: "g", _, _) = initError([
                Node(name: "g", op: .gemm(GemmAttributes()), inputs: ["x"], outputs: ["y"])
            ])
        else {
            Issue.record("a one-input Gemm must be rejected")
            return
        }
        guard
            case .invalidAttribute(node: "p", _, _) = initError([
                Node(
                    name: "p", op: .averagePool(PoolAttributes(kernelShape: [2], strides: [0])), inputs: ["x"],
                    outputs: ["y"])
            ])
        else {
            Issue.record("stride 0 must be rejected")
            return
        }
        let transpose = initError([Node(name: "t", op: .transpose(permutation: [0, 2]), inputs: ["x"], outputs: ["y"])])
        let notPermutation = "perm [0, 2] is not a permutation of 0..<2"
        #expect(transpose == .invalidAttribute(node: "t", op: "Transpose", detail: notPermutation))
        let twice = Operator.reduceMean(axes: [1, 1], keepDims: true)
        let mean = initError([Node(name: "m", op: twice, inputs: ["x"], outputs: ["y"])])
        #expect(mean == .invalidAttribute(node: "m", op: "ReduceMean", detail: "axes [1, 1] lists an axis twice"))
        let unsqueeze = initError([Node(name: "u", op: .unsqueeze, inputs: ["x"], outputs: ["y"])])
        #expect(unsqueeze == .invalidAttribute(node: "u", op: "Unsqueeze", detail: "has 1 inputs, expects 2...2"))
        let pad = initError([Node(name: "p", op: .pad(mode: .constant), inputs: ["x", ""], outputs: ["y"])])
        #expect(pad == .invalidAttribute(node: "p", op: "Pad", detail: "input 1 is required"))
    }

    @Test func cancellationStopsARun() async throws {
        let executor = try GraphExecutor(graph: Self.smallCNN())
        let image = H.random([1, 1, 8, 8], seed: 68)
        let task = Task {
            while !Task.isCancelled { await Task.yield() }
            return try executor.run(["image": image])
        }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }
}

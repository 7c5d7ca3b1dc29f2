import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct NormalizationOpsTests {
    typealias H = OpsTestHelpers

    @Test func batchNormalizationHandComputed() throws {
        // X [1, 2, 1, 2]: channel 0 = [1, 3], channel 1 = [2, 4]; epsilon 0.
        // channel 0: scale 2, B 0, mean 1, var 4    → 2·(x − 1)/2 + 0   = [0, 2]
        // channel 1: scale 1, B 1, mean 2, var 0.25 → 1·(x − 2)/0.5 + 1 = [1, 5]
        var x = H.tensor([1, 2, 1, 2], [1, 3, 2, 4])
        try Ops.batchNormalization(
            &x, scale: H.tensor([2], [2, 1]), bias: H.tensor([2], [0, 1]), mean: H.tensor([2], [1, 2]),
            variance: H.tensor([2], [4, 0.25]), epsilon: 0)
        #expect(x == H.tensor([1, 2, 1, 2], [0, 2, 1, 5]))
    }

    @Test func batchNormalizationOnFeatures() throws {
        // X [2, 2] (after a Gemm); channel = column. mean [1, −1], var [1, 1], eps 0, scale 1, B 0:
        // [[1, 1], [3, −3]] → [[1−1, 1+1], [3−1, −3+1]] = [[0, 2], [2, −2]]
        var x = H.tensor([2, 2], [1, 1, 3, -3])
        let ones = H.tensor([2], [1, 1])
        try Ops.batchNormalization(
            &x, scale: ones, bias: H.tensor([2], [0, 0]), mean: H.tensor([2], [1, -1]), variance: ones, epsilon: 0)
        #expect(x.storage == [0, 2, 2, -2])
    }

    /// In place and into a new tensor, on every kernel variant this CPU has, BatchNormalization
    /// gives the bits of the plain loop `a · x + b` (a multiply, then an add) and Clip's rule,
    /// with NaN, ±∞ and -0.0 in X, planes whose lengths leave every vector tail, and a clamp.
    @Test func batchNormalizationIsThePlainLoopOnEveryVariant() throws {
        let channels = 3
        let parameters = Self.batchNormParameters("bn", channels: channels, seed: 7)
        let (scale, bias, mean, variance) = (
            parameters["bn.scale"]!, parameters["bn.bias"]!, parameters["bn.mean"]!, parameters["bn.var"]!
        )
        let (a, b) = Ops.batchNormalizationCoefficients(
            scale: scale.storage, bias: bias.storage, mean: mean.storage, variance: variance.storage, epsilon: 1e-5)
        defer { GEMM.forceKernelVariant(nil) }
        for size in [1, 7, 8, 15, 16, 17, 33, 100] {
            var x = H.random([2, channels, 1, size], seed: UInt64(size))
            x.storage[0] = .nan
            x.storage[min(1, x.count - 1)] = -0.0
            x.storage[x.count - 1] = .infinity
            for activation in [nil, OutputClamp.relu, OutputClamp(low: -0.25, high: 0.5)] {
                let expected = x.storage.indices.map { i -> Float in
                    let c = (i / size) % channels
                    var value = a[c] * x.storage[i]
                    value = value + b[c]
                    guard let activation else { return value }
                    value = value < activation.low ? activation.low : value
                    return value > activation.high ? activation.high : value
                }
                for (variant, name) in [
                    (GEMM.KernelVariant.portable, "portable"), (.avx2, "avx2-fma"), (.avx512, "avx512"),
                ] {
                    guard GEMM.forceKernelVariant(variant) == name else { continue }  // not on this CPU
                    let copy = try Ops.batchNormalized(
                        x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: 1e-5,
                        activation: activation)
                    var inPlace = x
                    try Ops.batchNormalization(
                        &inPlace, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: 1e-5,
                        activation: activation)
                    #expect(copy.storage.map(\.bitPattern) == expected.map(\.bitPattern), "\(name) size \(size)")
                    #expect(inPlace.storage.map(\.bitPattern) == expected.map(\.bitPattern), "\(name) size \(size)")
                    #expect(x.storage[0].isNaN)  // the input is left as it was
                }
            }
        }
    }

    @Test func batchNormalizationParameterMismatch() {
        var x = H.random([1, 3, 2, 2], seed: 1)
        let two = H.tensor([2], [1, 1])
        let error = H.graphError {
            try Ops.batchNormalization(&x, scale: two, bias: two, mean: two, variance: two, epsilon: 1e-5, node: "bn")
        }
        #expect(H.mismatchNode(error) == "bn")
    }

    /// Random BN parameters for `channels` channels, named `prefix.scale` etc.
    static func batchNormParameters(_ prefix: String, channels: Int, seed: UInt64) -> [String: Tensor] {
        var generator = SplitMix64(seed: seed)
        func values(_ range: ClosedRange<Float>) -> Tensor {
            Tensor(shape: [channels], storage: (0..<channels).map { _ in generator.nextFloat(in: range) })
        }
        return [
            "\(prefix).scale": values(0.5...2), "\(prefix).bias": values(-1...1), "\(prefix).mean": values(-0.5...0.5),
            "\(prefix).var": values(0.2...3),
        ]
    }

    static func batchNormNode(_ prefix: String, input: String, output: String) -> Node {
        Node(
            name: prefix, op: .batchNormalization(epsilon: 1e-5),
            inputs: [input, "\(prefix).scale", "\(prefix).bias", "\(prefix).mean", "\(prefix).var"], outputs: [output])
    }

    /// Conv(no bias)→BN→Relu→Flatten→Gemm(transB)→BN→Gemm(no transB, no C)→BN.
    static func foldableGraph() -> Graph {
        var initializers: [String: Tensor] = [
            "conv.w": H.random([4, 2, 3, 3], seed: 21),
            "fc1.w": H.random([5, 4 * 4 * 4], seed: 22), "fc1.b": H.random([5], seed: 23),
            "fc2.w": H.random([5, 3], seed: 24),
        ]
        for (prefix, channels, seed) in [("bn1", 4, UInt64(31)), ("bn2", 5, 32), ("bn3", 3, 33)] {
            initializers.merge(batchNormParameters(prefix, channels: channels, seed: seed)) { $1 }
        }
        let nodes = [
            Node(
                name: "conv", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "conv.w"], outputs: ["c"]),
            batchNormNode("bn1", input: "c", output: "c.bn"),
            Node(name: "relu", op: .relu, inputs: ["c.bn"], outputs: ["r"]),
            Node(name: "flat", op: .flatten(axis: 1), inputs: ["r"], outputs: ["f"]),
            Node(
                name: "fc1", op: .gemm(GemmAttributes(beta: 0.5, transposeB: true)), inputs: ["f", "fc1.w", "fc1.b"],
                outputs: ["g1"]),
            batchNormNode("bn2", input: "g1", output: "g1.bn"),
            Node(name: "fc2", op: .gemm(GemmAttributes()), inputs: ["g1.bn", "fc2.w"], outputs: ["g2"]),
            batchNormNode("bn3", input: "g2", output: "y"),
        ]
        return Graph(
            name: "foldable", inputs: [ValueInfo(name: "x", shape: [nil, 2, 4, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3])], initializers: initializers, nodes: nodes)
    }

    @Test func foldingKeepsOutputs() throws {
        let graph = Self.foldableGraph()
        let folded = graph.foldingBatchNormalization()
        #expect(folded.nodes.map(\.name) == ["conv", "relu", "flat", "fc1", "fc2"])
        #expect(folded.nodes[0].inputs.count == 3)  // the conv gained a bias
        #expect(folded.initializers.keys.filter { $0.hasPrefix("bn") }.isEmpty)
        let x = H.random([3, 2, 4, 4], seed: 40)
        let expected = try GraphExecutor(graph: graph).run(["x": x])
        let actual = try GraphExecutor(graph: folded).run(["x": x])
        H.expectClose(try #require(actual["y"]), try #require(expected["y"]), rtol: 1e-5, atol: 1e-5)
    }

    @Test func noFoldingWhenTheLayerOutputHasAnotherReader() throws {
        var graph = Self.foldableGraph()
        // A second reader of the conv output "c": folding would change what it sees.
        graph.nodes.insert(Node(name: "tap", op: .identity, inputs: ["c"], outputs: ["c.copy"]), at: 1)
        graph.outputs.append(ValueInfo(name: "c.copy", shape: [nil, 4, 4, 4]))
        let folded = graph.foldingBatchNormalization()
        #expect(folded.nodes.contains { $0.name == "bn1" })
        #expect(!folded.nodes.contains { $0.name == "bn2" })
        let x = H.random([2, 2, 4, 4], seed: 41)
        let expected = try GraphExecutor(graph: graph).run(["x": x])
        let actual = try GraphExecutor(graph: folded).run(["x": x])
        H.expectClose(try #require(actual["y"]), try #require(expected["y"]), rtol: 1e-5, atol: 1e-5)
        H.expectClose(try #require(actual["c.copy"]), try #require(expected["c.copy"]), rtol: 0, atol: 0)
    }
}

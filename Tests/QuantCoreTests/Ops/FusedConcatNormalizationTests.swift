import Testing

@testable import QuantCore

/// DenseNet's dense layer, Concat(features…) → BatchNormalization → ReLU → Conv: the Concat
/// writes its inputs already normalized and clamped (`Ops.concatBatchNormalized`), bit for bit
/// the three ops apart, and only where nobody can see the plain concatenation.
@Suite struct FusedConcatNormalizationTests {
    static func random(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(
            shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in generator.nextFloat(in: range) })
    }

    /// Three features of 2, 3 and 1 channels (odd plane sizes for the vector tails).
    static func graph() -> Graph {
        Graph(
            name: "dense", inputs: [ValueInfo(name: "x", shape: [nil, 2, 5, 7])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, 5, 7])],
            initializers: [
                "w0": random([3, 2, 1, 1], seed: 1), "w1": random([1, 2, 3, 3], seed: 2),
                "scale": random([6], seed: 3), "bias": random([6], seed: 4), "mean": random([6], seed: 5),
                "var": random([6], seed: 6, in: 0.1...2), "w2": random([4, 6, 1, 1], seed: 7),
            ],
            nodes: [
                Node(name: "f0", op: .conv(ConvAttributes()), inputs: ["x", "w0"], outputs: ["a"]),
                Node(name: "f1", op: .conv(ConvAttributes(pads: [1, 1, 1, 1])), inputs: ["x", "w1"], outputs: ["b"]),
                Node(name: "cat", op: .concat(axis: 1), inputs: ["x", "a", "b"], outputs: ["c"]),
                Node(
                    name: "bn", op: .batchNormalization(epsilon: 1e-5), inputs: ["c", "scale", "bias", "mean", "var"],
                    outputs: ["n"]),
                Node(name: "relu", op: .relu, inputs: ["n"], outputs: ["r"]),
                Node(name: "conv", op: .conv(ConvAttributes()), inputs: ["r", "w2"], outputs: ["y"]),
            ])
    }

    @Test func fusedEqualsTheOpsApart() throws {
        let graph = Self.graph()
        let executor = try GraphExecutor(graph: graph)
        let x = Self.random([3, 2, 5, 7], seed: 8)
        let fused = try #require(try executor.run(["x": x])["y"])
        // Keeping the concatenation (a cached boundary) leaves it plain and the ops apart.
        let unfused = try executor.run(["x": x], keeping: ["c", "n"])
        #expect(try #require(unfused["y"]).storage.map(\.bitPattern) == fused.storage.map(\.bitPattern))
        let kept = try #require(unfused["c"])
        #expect(kept.shape == [3, 6, 5, 7])
        #expect(Array(kept.storage[0..<35]) == Array(x.storage[0..<35]), "the kept value is the plain concatenation")
        #expect(try #require(unfused["n"]).storage.contains { $0 < 0 }, "kept values are before the ReLU")
        // By hand: concat, normalize, relu, conv.
        let i = graph.initializers
        var c = try Ops.concat(
            [
                x, try Ops.convolution(x, weight: i["w0"]!, bias: nil, attributes: ConvAttributes()),
                try Ops.convolution(x, weight: i["w1"]!, bias: nil, attributes: ConvAttributes(pads: [1, 1, 1, 1])),
            ], axis: 1)
        try Ops.batchNormalization(
            &c, scale: i["scale"]!, bias: i["bias"]!, mean: i["mean"]!, variance: i["var"]!, epsilon: 1e-5)
        Ops.relu(&c)
        let y = try Ops.convolution(c, weight: i["w2"]!, bias: nil, attributes: ConvAttributes())
        #expect(fused.storage.map(\.bitPattern) == y.storage.map(\.bitPattern))
        #expect(x.storage == Self.random([3, 2, 5, 7], seed: 8).storage, "the caller's input is untouched")
        // The fusion is the one taken: the Concat (node 2) hands the normalization and the ReLU on.
        var state = ExecutionState(values: [:], overrides: [:], initializers: i, keeping: [])
        let features = [2, 3, 1].enumerated().map { index, channels in
            Self.random([3, channels, 5, 7], seed: UInt64(20 + index))
        }
        let written = try #require(try executor.concatNormalized(features, axis: 1, at: 2, state: &state))
        #expect(written.shape == [3, 6, 5, 7] && written.storage.allSatisfy { $0 >= 0 })
        #expect(state.normalized == ["c"] && state.activated.contains("n"))
    }

    /// A fake-quantized concatenation is never fused: the same result as keeping it.
    @Test func quantizedConcatenationIsNotFused() throws {
        let executor = try GraphExecutor(graph: Self.graph())
        let x = Self.random([2, 2, 5, 7], seed: 9)
        let parameters = try ActivationQuantization(scale: 0.02, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let quantized = try executor.run(["x": x], activationQuantization: ["c": parameters])
        let kept = try executor.run(["x": x], activationQuantization: ["c": parameters], keeping: ["c"])
        #expect(
            try #require(quantized["y"]).storage.map(\.bitPattern)
                == (try #require(kept["y"])).storage.map(\.bitPattern))
    }

    /// Other axes, and parameters that do not fit, are left to the ops apart (which report them).
    @Test func onlyChannelConcatenationsAreFused() throws {
        let a = Self.random([2, 3, 4], seed: 10), b = Self.random([2, 3, 4], seed: 11)
        let parameters = Self.random([3], seed: 12)
        #expect(
            try Ops.concatBatchNormalized(
                [a, b], axis: 2, scale: parameters, bias: parameters, mean: parameters, variance: parameters,
                epsilon: 1e-5, activation: nil) == nil)
        #expect(throws: GraphError.self) {
            try Ops.concatBatchNormalized(
                [a, b], axis: 1, scale: parameters, bias: parameters, mean: parameters, variance: parameters,
                epsilon: 1e-5, activation: nil)
        }
    }
}

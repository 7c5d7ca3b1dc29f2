import Testing

@testable import QuantCore

/// MobileNet's expansion, pointwise Conv → Clip → depthwise Conv → ReLU: the pointwise node runs
/// both (`Ops.pointwiseDepthwise`, CKernels `ck_pointwise_depthwise`) without the expanded tensor,
/// bit for bit the ops apart, and only where nobody can see the expanded values.
@Suite struct PointwiseDepthwiseConvolutionTests {
    static func random(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(
            shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in generator.nextFloat(in: range) })
    }

    /// (label, height, width, stride, expanded channels, pointwise activation, depthwise activation,
    /// biases): planes of 80×80 make blocks of 12 expanded channels (30 = 12 + 12 + 6), odd
    /// and small planes one block (the smallest, under 128 positions, run apart); every activation
    /// and no bias.
    static let cases: [(String, Int, Int, Int, Int, Operator?, Operator?, Bool)] = [
        ("80x80 stride 1, three blocks", 80, 80, 1, 30, .clip(min: 0, max: 6), .relu, true),
        ("80x80 stride 2, three blocks", 80, 80, 2, 30, .clip(min: 0, max: 6), .clip(min: 0, max: 6), true),
        ("odd 17x9 stride 2, no bias", 17, 9, 2, 7, .relu, nil, false),
        ("7x7, no activations", 7, 7, 1, 20, nil, nil, true),
    ]

    /// x [N, 5, H, W] → pw → (act) → dw 3×3 pad 1 → (act) → pw to 4 channels → y.
    static func graph(_ index: Int) -> Graph {
        let (_, _, _, stride, expanded, first, second, biases) = cases[index]
        var nodes = [
            Node(
                name: "expand", op: .conv(ConvAttributes()), inputs: ["x", "w1"] + (biases ? ["b1"] : []),
                outputs: ["e"])
        ]
        var read = "e"
        if let first {
            nodes.append(Node(name: "act1", op: first, inputs: ["e"], outputs: ["a"]))
            read = "a"
        }
        nodes.append(
            Node(
                name: "depthwise",
                op: .conv(ConvAttributes(strides: [stride, stride], pads: [1, 1, 1, 1], group: expanded)),
                inputs: [read, "w2"] + (biases ? ["b2"] : []), outputs: ["d"]))
        read = "d"
        if let second {
            nodes.append(Node(name: "act2", op: second, inputs: ["d"], outputs: ["r"]))
            read = "r"
        }
        nodes.append(Node(name: "project", op: .conv(ConvAttributes()), inputs: [read, "w3"], outputs: ["y"]))
        return Graph(
            name: "expansion", inputs: [ValueInfo(name: "x", shape: [nil, 5, nil, nil])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, nil, nil])],
            initializers: [
                "w1": random([expanded, 5, 1, 1], seed: 1), "b1": random([expanded], seed: 2),
                "w2": random([expanded, 1, 3, 3], seed: 3), "b2": random([expanded], seed: 4),
                "w3": random([4, expanded, 1, 1], seed: 5),
            ],
            nodes: nodes)
    }

    @Test(arguments: 0..<cases.count)
    func chainedEqualsTheOpsApart(index: Int) throws {
        let (label, height, width, stride, expanded, first, second, biases) = Self.cases[index]
        let graph = Self.graph(index)
        let executor = try GraphExecutor(graph: graph)
        let x = Self.random([2, 5, height, width], seed: 6, in: -3...3)
        let chained = try #require(try executor.run(["x": x])["y"])
        // Keeping the expanded values (a cached boundary) runs the nodes apart.
        let apart = try executor.run(["x": x], keeping: ["e"])
        #expect(try #require(apart["y"]).storage.map(\.bitPattern) == chained.storage.map(\.bitPattern), "\(label)")
        #expect(try #require(apart["e"]).shape == [2, expanded, height, width])
        // By hand, op by op.
        let i = graph.initializers
        func activate(_ t: inout Tensor, _ op: Operator?) {
            switch op {
            case .relu: Ops.relu(&t)
            case .clip(let low, let high): Ops.clip(&t, minimum: low, maximum: high)
            default: break
            }
        }
        var e = try Ops.convolution(x, weight: i["w1"]!, bias: biases ? i["b1"] : nil, attributes: ConvAttributes())
        activate(&e, first)
        var d = try Ops.convolution(
            e, weight: i["w2"]!, bias: biases ? i["b2"] : nil,
            attributes: ConvAttributes(strides: [stride, stride], pads: [1, 1, 1, 1], group: expanded))
        activate(&d, second)
        let y = try Ops.convolution(d, weight: i["w3"]!, bias: nil, attributes: ConvAttributes())
        #expect(chained.storage.map(\.bitPattern) == y.storage.map(\.bitPattern), "\(label)")
        #expect(x.storage == Self.random([2, 5, height, width], seed: 6, in: -3...3).storage, "input untouched")
    }

    /// The chain is the path taken: the pointwise node returns the depthwise output and marks the
    /// activations and the depthwise node to pass it on.
    @Test func thePointwiseNodeRunsTheChain() throws {
        let graph = Self.graph(0)
        let executor = try GraphExecutor(graph: graph)
        let x = Self.random([1, 5, 80, 80], seed: 7)
        var state = ExecutionState(values: ["x": x], overrides: [:], initializers: graph.initializers, keeping: ["y"])
        let i = graph.initializers
        let output = try #require(
            try executor.pointwiseDepthwise(
                at: 0, x: x, weight: i["w1"]!, bias: i["b1"], attributes: ConvAttributes(), state: &state))
        #expect(output.shape == [1, 30, 80, 80] && output.storage.allSatisfy { $0 >= 0 })
        #expect(state.chained == ["a"] && state.activated == ["e", "d"])
    }

    /// Fake-quantized expanded values are never chained: the same result as keeping them.
    @Test func quantizedExpansionIsNotChained() throws {
        let executor = try GraphExecutor(graph: Self.graph(2))
        let x = Self.random([2, 5, 17, 9], seed: 8)
        let parameters = try ActivationQuantization(scale: 0.02, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let quantized = try executor.run(["x": x], activationQuantization: ["a": parameters])
        let kept = try executor.run(["x": x], activationQuantization: ["a": parameters], keeping: ["a"])
        #expect(
            try #require(quantized["y"]).storage.map(\.bitPattern)
                == (try #require(kept["y"])).storage.map(\.bitPattern))
    }

    /// Only a pointwise convolution then a depthwise one with one output per channel chain;
    /// operands that do not fit throw the error of the node they belong to.
    @Test func onlyPointwiseThenDepthwiseChain() throws {
        let x = Self.random([1, 4, 6, 6], seed: 9)
        let pointwise = Ops.ChainedConvolution(
            weight: Self.random([8, 4, 1, 1], seed: 10), bias: nil, attributes: ConvAttributes(), activation: nil,
            node: "pw")
        let depthwise = Ops.ChainedConvolution(
            weight: Self.random([8, 1, 3, 3], seed: 11), bias: nil,
            attributes: ConvAttributes(pads: [1, 1, 1, 1], group: 8), activation: nil, node: "dw")
        #expect(try Ops.pointwiseDepthwise(x, pointwise, depthwise)?.shape == [1, 8, 6, 6])
        // Small planes of several images stay apart (the pointwise convolution gathers them).
        let pair = Self.random([2, 4, 6, 6], seed: 15), wide = Self.random([2, 4, 8, 16], seed: 16)
        #expect(try Ops.pointwiseDepthwise(pair, pointwise, depthwise) == nil)
        #expect(try Ops.pointwiseDepthwise(wide, pointwise, depthwise)?.shape == [2, 8, 8, 16])
        var padded = pointwise
        padded.attributes = ConvAttributes(pads: [1, 1, 1, 1])
        #expect(try Ops.pointwiseDepthwise(x, padded, depthwise) == nil)
        var strided = pointwise
        strided.attributes = ConvAttributes(strides: [2, 2])
        #expect(try Ops.pointwiseDepthwise(x, strided, depthwise) == nil)
        var multiplied = depthwise  // two outputs per channel
        multiplied.weight = Self.random([16, 1, 3, 3], seed: 12)
        #expect(try Ops.pointwiseDepthwise(x, pointwise, multiplied) == nil)
        var grouped = depthwise  // two channels per group
        grouped.weight = Self.random([8, 2, 3, 3], seed: 13)
        grouped.attributes = ConvAttributes(pads: [1, 1, 1, 1], group: 4)
        #expect(try Ops.pointwiseDepthwise(x, pointwise, grouped) == nil)
        var wrong = depthwise
        wrong.weight = Self.random([6, 1, 3, 3], seed: 14)
        wrong.attributes = ConvAttributes(pads: [1, 1, 1, 1], group: 6)
        let error = try #require(throws: GraphError.self) { try Ops.pointwiseDepthwise(x, pointwise, wrong) }
        #expect("\(error)".contains("dw"))
    }
}

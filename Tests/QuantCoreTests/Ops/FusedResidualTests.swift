import Testing

@testable import QuantCore

/// A residual Add fused into the convolution before it (`GraphExecutor.fusableResidual`): the
/// convolution adds the Add's other operand, then the Add's ReLU/Clip, as it writes each tile.
/// Bit for bit the convolution, the Add and the activation one by one, on every path a
/// convolution can take; fused only where the convolution's own output is never observed.
@Suite struct FusedResidualTests {
    /// Every convolution path of `FusedActivationTests.cases` (pointwise, fused 3×3, strided,
    /// grouped, depthwise, gathered small planes, K over one slice), without and with each clamp.
    @Test(arguments: 0..<FusedActivationTests.cases.count)
    func fusedEqualsConvolutionThenAddThenClip(index: Int) throws {
        let (label, xShape, wShape, attributes, hasBias) = FusedActivationTests.cases[index]
        let x = FusedActivationTests.random(xShape, seed: UInt64(600 + index))
        let w = FusedActivationTests.random(wShape, seed: UInt64(700 + index))
        let bias = hasBias ? FusedActivationTests.random([wShape[0]], seed: UInt64(800 + index)) : nil
        let plain = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes)
        let residual = FusedActivationTests.random(plain.shape, seed: UInt64(900 + index))
        let sum = try Ops.arithmetic(.add, plain, residual)
        let clamps: [OutputClamp?] = [nil] + FusedActivationTests.clamps
        for clamp in clamps {
            var expected = sum
            if let clamp { Ops.clip(&expected, minimum: clamp.low, maximum: clamp.high) }
            let fused = try Ops.convolution(
                x, weight: w, bias: bias, attributes: attributes, activation: clamp, residual: residual)
            #expect(fused.shape == expected.shape)
            #expect(
                fused.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern),
                "\(label), \(String(describing: clamp))")
        }
        // A residual of another shape is an error, not a wrong sum.
        let wrong = FusedActivationTests.random([1] + plain.shape.dropFirst(), seed: 1)
        if plain.shape[0] != 1 {
            #expect(throws: GraphError.self) {
                _ = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes, residual: wrong)
            }
        }
    }

    /// GEMM with a row start, an addend and a clamp: bit for bit (start + A·B) + addend, clamped;
    /// packed and read-in-place B, partial tiles, K over several slices.
    @Test(arguments: [(7, 37, 5), (13, 16, 300), (64, 2100, 17), (1, 1, 1), (20, 64, 32)])
    func gemmAddsTheAddendBeforeTheClamp(m: Int, n: Int, k: Int) {
        let a = FusedActivationTests.random([m, k], seed: 71).storage
        let b = FusedActivationTests.random([k, n], seed: 72).storage
        let start = FusedActivationTests.random([m], seed: 73).storage
        let addend = FusedActivationTests.random([m, n], seed: 74).storage
        let clamp = OutputClamp(low: -0.5, high: 0.75)
        var product = [Float](repeating: .nan, count: m * n)
        GEMM.multiply(m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: nil, c: &product)
        var expected = Tensor(shape: [m, n], storage: zip(product, addend).map { $0 + $1 })
        Ops.clip(&expected, minimum: clamp.low, maximum: clamp.high)
        for inPlace in [false, true] {
            var fused = [Float](repeating: .nan, count: m * n)
            addend.withUnsafeBufferPointer { addend in
                fused.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(
                        m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: clamp, readingBInPlace: inPlace,
                        addend: addend.baseAddress, c: c.baseAddress!)
                }
            }
            #expect(fused.map(\.bitPattern) == expected.storage.map(\.bitPattern), "in place: \(inPlace)")
        }
    }

    /// A bottleneck as torchvision exports it: the identity block's last Conv takes its Add and
    /// ReLU; the downsampling block's does not (its shortcut Conv runs after it), nor does a Conv
    /// whose Add broadcasts, or whose output is kept or fake-quantized. Every run equals the
    /// unfused one (forced by keeping the convolutions' outputs).
    @Test func executorFusesTheResidualOnlyWhereUnobservable() throws {
        let same = ConvAttributes(pads: [1, 1, 1, 1])
        func random(_ shape: [Int], _ seed: UInt64) -> Tensor { FusedActivationTests.random(shape, seed: seed) }
        let graph = Graph(
            name: "bottleneck", inputs: [ValueInfo(name: "x", shape: [nil, 4, 8, 8])],
            outputs: [ValueInfo(name: "y", shape: [nil, 6, 8, 8])],
            initializers: [
                "w1": random([4, 4, 3, 3], 1), "b1": random([4], 2), "w2": random([6, 4, 3, 3], 3),
                "wd": random([6, 4, 1, 1], 4), "w3": random([6, 6, 3, 3], 5), "shift": random([6, 1, 1], 6),
            ],
            nodes: [
                // Identity block: conv1 + x → relu.
                Node(name: "conv1", op: .conv(same), inputs: ["x", "w1", "b1"], outputs: ["c1"]),
                Node(name: "add1", op: .add, inputs: ["c1", "x"], outputs: ["s1"]),
                Node(name: "relu1", op: .relu, inputs: ["s1"], outputs: ["r1"]),
                // Downsampling block: conv2 + downsample(r1), the shortcut computed after conv2.
                Node(name: "conv2", op: .conv(same), inputs: ["r1", "w2"], outputs: ["c2"]),
                Node(name: "down", op: .conv(ConvAttributes()), inputs: ["r1", "wd"], outputs: ["d"]),
                Node(name: "add2", op: .add, inputs: ["c2", "d"], outputs: ["s2"]),
                Node(name: "relu2", op: .relu, inputs: ["s2"], outputs: ["r2"]),
                // A broadcasting Add: not a residual.
                Node(name: "conv3", op: .conv(same), inputs: ["r2", "w3"], outputs: ["c3"]),
                Node(name: "add3", op: .add, inputs: ["c3", "shift"], outputs: ["y"]),
            ])
        let executor = try GraphExecutor(graph: graph)
        let x = random([3, 4, 8, 8], 7)
        let state = ExecutionState(
            values: ["x": x, "r1": x, "r2": random([3, 6, 8, 8], 8)], overrides: [:],
            initializers: graph.initializers, keeping: [])
        func residual(_ index: Int, _ state: ExecutionState) throws -> Int? {
            guard case .conv(let attributes) = graph.nodes[index].op else { return nil }
            let inputs = graph.nodes[index].inputs
            return try executor.fusableResidual(
                after: index, x: try #require(state.lookup(inputs[0])),
                weight: try #require(state.lookup(inputs[1])), bias: inputs.count > 2 ? state.lookup(inputs[2]) : nil,
                attributes: attributes, state: state)?.add
        }
        #expect(try residual(0, state) == 1, "the identity block's Conv takes its Add")
        #expect(try residual(3, state) == nil, "the shortcut is not computed yet")
        #expect(try residual(7, state) == nil, "a broadcasting Add is not a residual")
        let kept = ExecutionState(
            values: ["x": x], overrides: [:], initializers: graph.initializers, keeping: ["c1"])
        #expect(try residual(0, kept) == nil, "a kept output is observed")
        var quantized = ExecutionState(values: ["x": x], overrides: [:], initializers: graph.initializers, keeping: [])
        quantized.quantizedOutputs = ["c1"]
        #expect(try residual(0, quantized) == nil, "a fake-quantized output differs from the sum's operand")

        let fused = try #require(try executor.run(["x": x])["y"])
        let unfused = try executor.run(["x": x], keeping: ["c1", "c2", "c3", "s1"])
        #expect(try #require(unfused["y"]).storage.map(\.bitPattern) == fused.storage.map(\.bitPattern))
        let s1 = try #require(unfused["s1"])
        #expect(s1.storage.contains { $0 < 0 }, "kept values are pre-activation")
        // By hand for the identity block.
        var expected = try Ops.arithmetic(
            .add,
            try Ops.convolution(
                x, weight: graph.initializers["w1"]!, bias: graph.initializers["b1"], attributes: same), x)
        #expect(s1.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        Ops.relu(&expected)
        let r1 = try executor.run(["x": x], keeping: ["r1"])
        #expect(try #require(r1["r1"]).storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        #expect(x.storage == FusedActivationTests.random([3, 4, 8, 8], seed: 7).storage, "the input is untouched")
        // Fake-quantizing the Conv's output: no fusion, the same result as with it kept.
        let parameters = try ActivationQuantization(scale: 0.05, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let quantizedFused = try executor.run(["x": x], activationQuantization: ["c1": parameters])
        let quantizedKept = try executor.run(["x": x], activationQuantization: ["c1": parameters], keeping: ["c1"])
        #expect(
            try #require(quantizedFused["y"]).storage.map(\.bitPattern)
                == (try #require(quantizedKept["y"])).storage.map(\.bitPattern))
    }
}

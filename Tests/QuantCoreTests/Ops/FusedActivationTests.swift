import Testing

@testable import QuantCore

/// A ReLU/Clip fused into the convolution before it (`OutputClamp`, `GraphExecutor+Fusion.swift`)
/// and the bias written by the GEMM tile by tile: bit for bit the unfused computation, on every
/// path a convolution can take, and never where the pre-activation values are observable.
@Suite struct FusedActivationTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { _ in generator.nextFloat(in: -1...1) })
    }

    /// (label, x shape, w shape, attributes, bias): pointwise, fused 3×3 stride 1, strided (column
    /// matrix), grouped, depthwise, gathered small planes, K deeper than one GEMM slice (256).
    static let cases: [(String, [Int], [Int], ConvAttributes, Bool)] = [
        ("1x1 pointwise", [2, 16, 20, 20], [24, 16, 1, 1], ConvAttributes(), true),
        ("3x3 pad 1 stride 1", [2, 8, 18, 18], [13, 8, 3, 3], ConvAttributes(pads: [1, 1, 1, 1]), true),
        (
            "3x3 stride 2, no bias", [2, 6, 17, 17], [7, 6, 3, 3],
            ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1]), false
        ),
        ("grouped 2", [2, 8, 12, 12], [10, 4, 3, 3], ConvAttributes(pads: [1, 1, 1, 1], group: 2), true),
        ("depthwise", [2, 12, 15, 15], [12, 1, 3, 3], ConvAttributes(pads: [1, 1, 1, 1], group: 12), true),
        (
            "depthwise stride 2", [2, 12, 15, 15], [24, 1, 3, 3],
            ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1], group: 12), true
        ),
        ("gathered 7x7", [4, 24, 7, 7], [20, 24, 3, 3], ConvAttributes(pads: [1, 1, 1, 1]), true),
        ("K over one slice", [1, 40, 10, 10], [9, 40, 3, 3], ConvAttributes(pads: [1, 1, 1, 1]), true),
    ]

    static let clamps: [OutputClamp] = [
        .relu, OutputClamp(low: 0, high: 6), OutputClamp(low: -0.25, high: 0.5), OutputClamp(low: 1, high: -1),
    ]

    @Test(arguments: 0..<cases.count)
    func fusedEqualsConvolutionThenClip(index: Int) throws {
        let (label, xShape, wShape, attributes, hasBias) = Self.cases[index]
        let x = Self.random(xShape, seed: UInt64(300 + index)), w = Self.random(wShape, seed: UInt64(400 + index))
        let bias = hasBias ? Self.random([wShape[0]], seed: UInt64(500 + index)) : nil
        let plain = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes)
        // Bias first, then the kernel: the unfused result is the reference's within rounding.
        let reference = try Ops.convolutionReference(x, weight: w, bias: bias, attributes: attributes)
        let worst = zip(plain.storage, reference.storage).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "\(label): \(worst) from the reference")
        for clamp in Self.clamps {
            var expected = plain
            Ops.clip(&expected, minimum: clamp.low, maximum: clamp.high)
            let fused = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes, activation: clamp)
            #expect(fused.shape == expected.shape)
            #expect(fused.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern), "\(label), \(clamp)")
        }
    }

    /// NaN in the input stays NaN through a fused ReLU, as through Ops.relu.
    @Test func nanStaysNaN() throws {
        var x = Self.random([1, 4, 9, 9], seed: 61)
        x.storage[40] = .nan
        let w = Self.random([5, 4, 3, 3], seed: 62)
        var expected = try Ops.convolution(x, weight: w, bias: nil, attributes: ConvAttributes(pads: [1, 1, 1, 1]))
        Ops.relu(&expected)
        let fused = try Ops.convolution(
            x, weight: w, bias: nil, attributes: ConvAttributes(pads: [1, 1, 1, 1]), activation: .relu)
        #expect(fused.storage.contains { $0.isNaN })
        #expect(fused.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
    }

    /// GEMM with a row start and a clamp: bit for bit filling C, multiplying with beta 1, clamping;
    /// shapes with partial tiles and K over several slices.
    @Test(arguments: [(7, 37, 5), (13, 16, 300), (6, 2100, 17), (1, 1, 1)])
    func gemmEpilogue(m: Int, n: Int, k: Int) {
        let a = Self.random([m, k], seed: 71).storage, b = Self.random([k, n], seed: 72).storage
        let start = Self.random([m], seed: 73).storage
        var expected = [Float](repeating: 0, count: m * n)
        for row in 0..<m { for column in 0..<n { expected[row * n + column] = start[row] } }
        GEMM.multiply(m: m, n: n, k: k, a: a, b: b, beta: 1, c: &expected)
        var clamped = Tensor(shape: [m, n], storage: expected)
        Ops.clip(&clamped, minimum: -0.5, maximum: 0.75)
        var fused = [Float](repeating: .nan, count: m * n)
        GEMM.multiply(
            m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: OutputClamp(low: -0.5, high: 0.75), c: &fused)
        #expect(fused.map(\.bitPattern) == clamped.storage.map(\.bitPattern))
        var unclamped = [Float](repeating: .nan, count: m * n)
        GEMM.multiply(m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: nil, c: &unclamped)
        #expect(unclamped.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// Conv → Relu → Conv → Clip(0, 6): the executor fuses both; outputs equal the unfused run
    /// (forced by keeping the convolutions' outputs, which then hold the pre-activation values).
    @Test func executorFusesOnlyWhereUnobservable() throws {
        let attributes = ConvAttributes(pads: [1, 1, 1, 1])
        let graph = Graph(
            name: "fused", inputs: [ValueInfo(name: "x", shape: [nil, 3, 10, 10])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, 10, 10])],
            initializers: [
                "w1": Self.random([6, 3, 3, 3], seed: 81).scaled(by: 3), "b1": Self.random([6], seed: 82),
                "w2": Self.random([4, 6, 3, 3], seed: 83).scaled(by: 3),
            ],
            nodes: [
                Node(name: "conv1", op: .conv(attributes), inputs: ["x", "w1", "b1"], outputs: ["c1"]),
                Node(name: "relu", op: .relu, inputs: ["c1"], outputs: ["r1"]),
                Node(name: "conv2", op: .conv(attributes), inputs: ["r1", "w2"], outputs: ["c2"]),
                // As PyTorch exports ReLU6: Clip's bounds from Constant nodes between Conv and Clip.
                Node(name: "lo", op: .constant(Tensor(shape: [], storage: [0])), inputs: [], outputs: ["lo"]),
                Node(name: "hi", op: .constant(Tensor(shape: [], storage: [6])), inputs: [], outputs: ["hi"]),
                Node(name: "clip", op: .clip(min: nil, max: nil), inputs: ["c2", "lo", "hi"], outputs: ["y"]),
            ])
        let executor = try GraphExecutor(graph: graph)
        #expect(
            executor.fusableActivation(
                after: 2,
                state: ExecutionState(values: [:], overrides: [:], initializers: graph.initializers, keeping: []))
                == OutputClamp(low: 0, high: 6))
        let x = Self.random([2, 3, 10, 10], seed: 84)
        let fused = try #require(try executor.run(["x": x])["y"])
        let unfused = try executor.run(["x": x], keeping: ["c1", "c2"])
        #expect(try #require(unfused["y"]).storage.map(\.bitPattern) == fused.storage.map(\.bitPattern))
        let c2 = try #require(unfused["c2"])
        #expect(c2.storage.contains { $0 < 0 } && c2.storage.contains { $0 > 6 }, "kept values are pre-activation")
        #expect(fused.storage.allSatisfy { $0 >= 0 && $0 <= 6 })
        // Fake-quantized convolution outputs are never fused either: same result as kept.
        let parameters = try ActivationQuantization(scale: 0.05, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let quantizedFused = try executor.run(["x": x], activationQuantization: ["c2": parameters])
        let quantizedKept = try executor.run(["x": x], activationQuantization: ["c2": parameters], keeping: ["c2"])
        #expect(
            try #require(quantizedFused["y"]).storage.map(\.bitPattern)
                == (try #require(quantizedKept["y"])).storage.map(\.bitPattern))
    }
}

extension FusedActivationTests {
    /// A residual block, x → Conv → Add(·, x) → Relu and Add(x, ·) → Clip: the Add sums into
    /// whichever operand is not read later and takes the activation along; bit for bit the
    /// unfused run, the caller's input untouched, and kept values stay unfused.
    @Test func residualAddSumsInPlaceWithItsActivation() throws {
        let attributes = ConvAttributes(pads: [1, 1, 1, 1])
        let graph = Graph(
            name: "residual", inputs: [ValueInfo(name: "x", shape: [nil, 4, 8, 8])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, 8, 8])],
            initializers: [
                "w1": Self.random([4, 4, 3, 3], seed: 91), "w2": Self.random([4, 4, 3, 3], seed: 92),
                "lo": Tensor(shape: [], storage: [-0.5]), "hi": Tensor(shape: [], storage: [0.5]),
            ],
            nodes: [
                Node(name: "conv1", op: .conv(attributes), inputs: ["x", "w1"], outputs: ["c1"]),
                Node(name: "add1", op: .add, inputs: ["c1", "x"], outputs: ["s1"]),
                Node(name: "relu", op: .relu, inputs: ["s1"], outputs: ["r1"]),
                Node(name: "conv2", op: .conv(attributes), inputs: ["r1", "w2"], outputs: ["c2"]),
                Node(name: "add2", op: .add, inputs: ["r1", "c2"], outputs: ["s2"]),
                Node(name: "clip", op: .clip(min: nil, max: nil), inputs: ["s2", "lo", "hi"], outputs: ["y"]),
            ])
        let executor = try GraphExecutor(graph: graph)
        let x = Self.random([3, 4, 8, 8], seed: 93)
        let original = x.storage
        let fused = try #require(try executor.run(["x": x])["y"])
        let unfused = try executor.run(["x": x], keeping: ["s1", "s2", "c1", "c2"])
        #expect(try #require(unfused["y"]).storage.map(\.bitPattern) == fused.storage.map(\.bitPattern))
        #expect(x.storage == original, "the caller's input is not summed into")
        // By hand: conv, add, relu, conv, add, clip.
        var s1 = try Ops.arithmetic(
            .add, try Ops.convolution(x, weight: graph.initializers["w1"]!, bias: nil, attributes: attributes), x)
        #expect(try #require(unfused["s1"]).storage.map(\.bitPattern) == s1.storage.map(\.bitPattern))
        Ops.relu(&s1)
        let c2 = try Ops.convolution(s1, weight: graph.initializers["w2"]!, bias: nil, attributes: attributes)
        var s2 = try Ops.arithmetic(.add, s1, c2)
        Ops.clip(&s2, minimum: -0.5, maximum: 0.5)
        #expect(fused.storage.map(\.bitPattern) == s2.storage.map(\.bitPattern))
    }
}

extension Tensor {
    fileprivate func scaled(by factor: Float) -> Tensor { Tensor(shape: shape, storage: storage.map { $0 * factor }) }
}

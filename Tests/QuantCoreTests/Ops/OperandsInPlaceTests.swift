import CKernels
import Testing

@testable import QuantCore

/// The float pass's copies that were taken out: B read in place for pointwise convolutions
/// (`ck_sgemm_direct`), several images' products as one GEMM without gathering
/// (`ck_sgemm_segments`), and BatchNormalization → ReLU in one loop. Each is bit for bit the
/// computation it replaces.
@Suite struct OperandsInPlaceTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.nextFloat(in: -1...1) }
    }

    /// (m, n, k): a partial last column panel, K over several slices, N over one column block
    /// (2048), tiny.
    @Test(arguments: [(16, 3136, 64), (24, 100, 300), (64, 2100, 17), (13, 33, 7), (1, 1, 1)])
    func readingBInPlaceGivesThePackedBits(m: Int, n: Int, k: Int) {
        let a = Self.random(m * k, seed: 11), b = Self.random(k * n, seed: 12), start = Self.random(m, seed: 13)
        for clamp in [nil, OutputClamp(low: -0.5, high: 0.75)] {
            var packed = [Float](repeating: .nan, count: m * n), direct = packed
            GEMM.multiply(m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: clamp, c: &packed)
            GEMM.multiply(
                m: m, n: n, k: k, a: a, b: b, rowStart: start, clamp: clamp, readingBInPlace: true, c: &direct)
            #expect(
                direct.map(\.bitPattern) == packed.map(\.bitPattern), "\(m)×\(n)×\(k), \(String(describing: clamp))")
        }
    }

    /// Segments narrower and wider than a panel, tiles across segment boundaries, with and
    /// without a row start (without: C accumulates, as ck_sgemm does).
    @Test(arguments: [(20, 49, 5, 24), (7, 196, 3, 300), (33, 9, 11, 8), (12, 32, 2, 1)])
    func segmentsEqualOneProductEach(m: Int, width: Int, count: Int, k: Int) {
        let a = Self.random(m * k, seed: 21), b = Self.random(count * k * width, seed: 22)
        let start = Self.random(m, seed: 23), initial = Self.random(count * m * width, seed: 24)
        let bounds: [Float] = [-0.25, 0.5]
        for useStart in [true, false] {
            var together = initial, apart = initial
            start.withUnsafeBufferPointer { starts in
                bounds.withUnsafeBufferPointer { bounds in
                    let rowStart = useStart ? starts.baseAddress : nil
                    together.withUnsafeMutableBufferPointer { c in
                        ck_sgemm_segments(
                            m, k, a, k, count, width, b, k * width, c.baseAddress, m * width, rowStart,
                            bounds.baseAddress, nil)
                    }
                    b.withUnsafeBufferPointer { b in
                        apart.withUnsafeMutableBufferPointer { c in
                            guard let b = b.baseAddress, let c = c.baseAddress else { return }
                            for segment in 0..<count {
                                ck_sgemm_epilogue(
                                    0, 0, m, width, k, 1, a, k, b + segment * k * width, width, c + segment * m * width,
                                    width, rowStart, bounds.baseAddress, nil)
                            }
                        }
                    }
                }
            }
            #expect(together.map(\.bitPattern) == apart.map(\.bitPattern), "\(m), \(width)×\(count), \(k), \(useStart)")
        }
    }

    /// DenseNet's pre-activation: BatchNormalization → Relu → Conv. The executor applies the ReLU
    /// in the normalization's loop; the output equals the unfused run (forced by keeping the
    /// normalized values, which then stay pre-activation) and the ops one by one.
    @Test func batchNormalizationTakesItsRelu() throws {
        let channels = 6
        func tensor(_ shape: [Int], _ seed: UInt64) -> Tensor {
            Tensor(shape: shape, storage: Self.random(shape.reduce(1, *), seed: seed))
        }
        let variance = Tensor(shape: [channels], storage: Self.random(channels, seed: 35).map { $0 * $0 + 0.1 })
        let attributes = ConvAttributes(pads: [1, 1, 1, 1])
        let graph = Graph(
            name: "preactivation", inputs: [ValueInfo(name: "x", shape: [nil, channels, 9, 9])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4, 9, 9])],
            initializers: [
                "scale": tensor([channels], 31), "bias": tensor([channels], 32), "mean": tensor([channels], 33),
                "var": variance, "w": tensor([4, channels, 3, 3], 34),
            ],
            nodes: [
                Node(
                    name: "bn", op: .batchNormalization(epsilon: 1e-5), inputs: ["x", "scale", "bias", "mean", "var"],
                    outputs: ["n"]),
                Node(name: "relu", op: .relu, inputs: ["n"], outputs: ["r"]),
                Node(name: "conv", op: .conv(attributes), inputs: ["r", "w"], outputs: ["y"]),
            ])
        let executor = try GraphExecutor(graph: graph)
        let x = tensor([2, channels, 9, 9], 36)
        let fused = try #require(try executor.run(["x": x])["y"])
        let unfused = try executor.run(["x": x], keeping: ["n"])
        #expect(try #require(unfused["y"]).storage.map(\.bitPattern) == fused.storage.map(\.bitPattern))
        #expect(try #require(unfused["n"]).storage.contains { $0 < 0 }, "kept values are pre-activation")
        var normalized = x
        let parameters = graph.initializers
        try Ops.batchNormalization(
            &normalized, scale: parameters["scale"]!, bias: parameters["bias"]!, mean: parameters["mean"]!,
            variance: variance, epsilon: 1e-5)
        Ops.relu(&normalized)
        let expected = try Ops.convolution(normalized, weight: parameters["w"]!, bias: nil, attributes: attributes)
        #expect(fused.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
    }
}

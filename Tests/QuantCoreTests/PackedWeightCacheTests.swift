import Testing

@testable import QuantCore

/// Gemm weights are packed once and reused exactly while they are the same weights.
@Suite struct PackedWeightCacheTests {
    static func weights(_ seed: UInt64, count: Int = 12 * 20) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(shape: [12, 20], storage: (0..<count).map { _ in generator.nextFloat(in: -1...1) })
    }

    @Test func theSameWeightsArePackedOnce() throws {
        let cache = PackedWeightCache()
        let w = Self.weights(1)
        let first = try #require(cache.packed("w", w, transposed: true, n: 12, k: 20))
        let copy = w  // shares the buffer: the same values
        let second = try #require(cache.packed("w", copy, transposed: true, n: 12, k: 20))
        #expect(first === second)
        #expect(cache.byteCount == first.byteCount)
    }

    @Test func changedWeightsArePackedAgain() throws {
        let cache = PackedWeightCache()
        var w = Self.weights(2)
        let first = try #require(cache.packed("w", w, transposed: true, n: 12, k: 20))
        w.storage[0] += 1  // the cache holds the old buffer, so this writes a copy
        let second = try #require(cache.packed("w", w, transposed: true, n: 12, k: 20))
        #expect(first !== second)
        // Equal values in a new buffer are packed again too (identity, not a guess from values).
        let third = try #require(
            cache.packed("w", Tensor(shape: w.shape, storage: w.storage.map { $0 }), transposed: true, n: 12, k: 20))
        #expect(third !== second)
        // The other orientation is its own entry.
        let other = try #require(cache.packed("w", w, transposed: false, n: 20, k: 12))
        #expect(other !== third && other.n == 20)
        cache.removeAll()
        #expect(cache.byteCount == 0)
    }

    @Test func shapesThatDoNotFitAreNotPacked() {
        let cache = PackedWeightCache()
        #expect(cache.packed("w", Self.weights(3), transposed: true, n: 12, k: 21) == nil)
        #expect(cache.packed("w", Tensor(shape: [0, 4], storage: []), transposed: true, n: 0, k: 4) == nil)
    }

    /// A Gemm model run through the executor (weights packed on the first batch, reused on the
    /// next, replaced by an override) gives what `Ops.gemm` gives without packing, bit for bit.
    @Test func executorRunsWithPackedWeightsMatchUnpacked() throws {
        let w = Self.weights(4)
        let bias = Tensor(shape: [12], storage: (0..<12).map { Float($0) / 10 })
        let graph = Graph(
            name: "gemm",
            inputs: [ValueInfo(name: "x", shape: [nil, 20])],
            outputs: [ValueInfo(name: "y", shape: [nil, 12])],
            initializers: ["w": w, "b": bias],
            nodes: [
                Node(name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["x", "w", "b"], outputs: ["y"])
            ])
        let executor = try GraphExecutor(graph: graph)
        var generator = SplitMix64(seed: 5)
        for batch in [1, 30, 7] {
            let x = Tensor(
                shape: [batch, 20], storage: (0..<(batch * 20)).map { _ in generator.nextFloat(in: -1...1) })
            let unpacked = try Ops.gemm(x, w, bias, attributes: GemmAttributes(transposeB: true))
            let y = try #require(try executor.run(["x": x])["y"])
            #expect(y.storage.map(\.bitPattern) == unpacked.storage.map(\.bitPattern))
            let q = Tensor(shape: w.shape, storage: w.storage.map { ($0 * 4).rounded() / 4 })
            let quantized = try #require(try executor.run(["x": x], weightOverrides: ["w": q])["y"])
            let expected = try Ops.gemm(x, q, bias, attributes: GemmAttributes(transposeB: true))
            #expect(quantized.storage.map(\.bitPattern) == expected.storage.map(\.bitPattern))
        }
        #expect(executor.packedWeights.byteCount > 0)
    }
}

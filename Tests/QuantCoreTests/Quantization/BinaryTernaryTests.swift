import Testing
@testable import QuantCore

@Suite struct BinaryTernaryTests {
    @Test func binaryWorkedTable() throws {
        // α = (0.5 + 0.3 + 0.1 + 0.1) / 4 = 0.25.
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [4], storage: [0.5, -0.3, 0.1, -0.1]), scheme: .binary, bitWidth: 1, granularity: .tensor)
        #expect(result.scales == [0.25])
        #expect(result.codes == [1, -1, 1, -1])
        #expect(result.dequantized == [0.25, -0.25, 0.25, -0.25])
    }

    @Test func binaryZeroIsPositiveButPrunedStaysZero() throws {
        let tensor = Tensor(shape: [4], storage: [0, -2, 2, 1])
        let plain = try QuantizationTestData.quantize(tensor, scheme: .binary, bitWidth: 1, granularity: .tensor)
        #expect(plain.codes == [1, -1, 1, 1])
        // Pruning weight 3: α = (0 + 2 + 2) / 3 over the unpruned weights; the pruned one gets code 0.
        let pruned = try QuantizationTestData.quantize(
            tensor, scheme: .binary, bitWidth: 1, granularity: .tensor, mask: [false, false, false, true])
        #expect(pruned.scales == [Float(4.0 / 3.0)])
        #expect(pruned.codes == [1, -1, 1, 0])
        #expect(pruned.dequantized[3] == 0)
        #expect(pruned.prunedMask == [false, false, false, true])
    }

    @Test func ternaryWorkedTable() throws {
        // mean|w| = 0.4, Δ = 0.28; |w| > Δ: 0.9, 0.6 → α = 0.75.
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [4], storage: [0.9, -0.6, 0.1, 0]), scheme: .ternary, bitWidth: 2, granularity: .tensor)
        #expect(result.codes == [1, -1, 0, 0])
        #expect(result.scales == [0.75])
        #expect(result.dequantized == [0.75, -0.75, 0, 0])
    }

    @Test(arguments: [Scheme.binary, .ternary])
    func constantBlocks(scheme: Scheme) throws {
        let bits = scheme.defaultBitWidth
        let zeros = try QuantizationTestData.quantize(Tensor(shape: [2, 3]), scheme: scheme, bitWidth: bits)
        #expect(zeros.dequantized.allSatisfy { $0 == 0 })  // α = 0: no division, no scale-1 fallback needed
        let constant = try QuantizationTestData.quantize(
            Tensor(shape: [2, 3], repeating: -0.3), scheme: scheme, bitWidth: bits)
        #expect(constant.dequantized.allSatisfy { $0 == -0.3 })
    }
}

@Suite struct KMeansTests {
    @Test func workedTable() throws {
        // 1 bit: init −1 and 1.5; clusters {−1, −0.5} and {0.5, 1.5} → centroids −0.75 and 1.0, stable.
        let result = try QuantizationTestData.quantize(
            Tensor(shape: [2, 2], storage: [-1, -0.5, 0.5, 1.5]), scheme: .kmeans, bitWidth: 1)
        #expect(result.codes == [0, 0, 1, 1])
        #expect(result.codebook == [-0.75, 1])
        #expect(result.dequantized == [-0.75, -0.75, 1, 1])
        #expect(result.blockCount == 1 && result.scales.isEmpty)
    }

    @Test(arguments: 1...5, [WeightDistribution.gaussian, .heavyTailed, .sparse])
    func sortedLloydMatchesTheReference(bitWidth: Int, distribution: WeightDistribution) {
        let values = QuantizationTestData.values(3000, distribution, seed: UInt64(bitWidth * 31))
        let fast = KMeansQuantizer.lloydSorted(values, centroidCount: 1 << bitWidth)
        let reference = KMeansQuantizer.lloydReference(values, centroidCount: 1 << bitWidth)
        #expect(fast.count == reference.count)
        for (a, b) in zip(fast, reference) {
            #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(fast) vs \(reference)")
        }
    }

    @Test func nearestIndexBreaksTiesLow() {
        let centroids: [Double] = [-1, 0, 0, 2]
        #expect(KMeansQuantizer.nearestIndex(1, in: centroids) == 1)  // tie between 0 (index 1) and 2
        #expect(KMeansQuantizer.nearestIndex(0, in: centroids) == 1)
        #expect(KMeansQuantizer.nearestIndex(-0.5, in: centroids) == 0)
        #expect(KMeansQuantizer.nearestIndex(9, in: centroids) == 3)
        #expect(KMeansQuantizer.nearestIndex(-9, in: centroids) == 0)
    }

    @Test func everyWeightTakesItsNearestCentroid() throws {
        let tensor = QuantizationTestData.tensor([64, 32], .laplace, seed: 5)
        let result = try QuantizationTestData.quantize(tensor, scheme: .kmeans, bitWidth: 3)
        #expect(result.codebook.count == 8)
        for (x, code) in zip(tensor.storage, result.codes) {
            let distance = abs(x - result.codebook[Int(code)])
            #expect(result.codebook.allSatisfy { abs(x - $0) >= distance })
        }
    }

    @Test func pruningReservesCodeZero() throws {
        let tensor = QuantizationTestData.tensor([16, 16], .gaussian, seed: 6)
        let mask = QuantizationTestData.mask(256, fraction: 0.5, seed: 7)
        let result = try QuantizationTestData.quantize(tensor, scheme: .kmeans, bitWidth: 2, mask: mask)
        #expect(result.codebook.count == 4 && result.codebook[0] == 0)
        for i in mask.indices {
            #expect((result.codes[i] == 0) == mask[i])
            if mask[i] { #expect(result.dequantized[i] == 0) }
        }
        // The unpruned weights are clustered alone: the same as k-means with 3 centroids on them.
        let unpruned = zip(tensor.storage, mask).filter { !$0.1 }.map(\.0)
        #expect(
            result.codebook.dropFirst().map(Double.init)
                == KMeansQuantizer.lloydSorted(unpruned, centroidCount: 3).map { Double(Float($0)) })
    }

    @Test func constantAndTinyLayers() throws {
        let constant = try QuantizationTestData.quantize(
            Tensor(shape: [3, 3], repeating: 0.4), scheme: .kmeans, bitWidth: 2)
        #expect(constant.dequantized.allSatisfy { $0 == 0.4 })
        let single = try QuantizationTestData.quantize(
            Tensor(shape: [1, 1], storage: [-2]), scheme: .kmeans, bitWidth: 8)
        #expect(single.dequantized == [-2] && single.codebook.count == 256)
    }
}

@Suite struct KMeansAssignmentTests {
    @Test(arguments: [1, 3, 4, 7, 16, 255, 256])
    func fastAssignmentMatchesNearestIndex(centroidCount: Int) {
        let centroids = KMeansQuantizer.initialCentroids(minimum: -1, maximum: 1.5, count: centroidCount)
        var values = QuantizationTestData.values(4000, .uniform, seed: UInt64(centroidCount)).map { $0 * 2 }
        // Exact midpoints (ties), the centroids themselves and their float neighbours.
        for (a, b) in zip(centroids, centroids.dropFirst()) {
            let middle = Float((a + b) / 2)
            values += [middle, middle.nextUp, middle.nextDown, Float(a)]
        }
        values += [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0.0, .leastNonzeroMagnitude]
        let expected = values.map { Int32(KMeansQuantizer.nearestIndex(Double($0), in: centroids)) }
        #expect(KMeansQuantizer.assign(values, to: centroids) == expected)
        let search = KMeansQuantizer.DecisionSearch(centroids)
        #expect(values.map { search.code(of: Double($0)) } == expected)
        // Repeated centroids take the general path.
        let repeated = centroids + [centroids[centroidCount - 1]]
        #expect(
            KMeansQuantizer.assign(values, to: repeated)
                == values.map { Int32(KMeansQuantizer.nearestIndex(Double($0), in: repeated)) })
    }
}

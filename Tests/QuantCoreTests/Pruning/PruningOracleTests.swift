import Testing

@testable import QuantCore

/// Target sparsity against `torch.nn.utils.prune.l1_unstructured` (see `PruningOracleFixtures`).
@Suite struct PruningOracleTests {
    @Test func prunedCountMatchesTorch() {
        #expect(PruningOracleFixtures.counts.count >= 1000)
        // The fixtures hold exact halves (0.5 · odd n) and their neighbours, where ⌊⌋ and round differ.
        let halves = PruningOracleFixtures.counts.filter { bits, count, _ in
            let product = Double(bitPattern: bits) * Double(count)
            return product - product.rounded(.down) == 0.5
        }
        #expect(halves.count >= 50)
        for (bits, count, pruned) in PruningOracleFixtures.counts {
            let sparsity = Double(bitPattern: bits)
            #expect(Pruner.prunedCount(forSparsity: sparsity, of: count) == pruned, "s = \(sparsity), n = \(count)")
        }
    }

    @Test func maskMatchesTorchUpToTheOrderOfEqualMagnitudes() throws {
        #expect(PruningOracleFixtures.masks.count >= 100)
        var tiedBoundaries = 0
        for oracle in PruningOracleFixtures.masks {
            let values = oracle.weightBits.map(Float.init(bitPattern:))
            let sparsity = Double(bitPattern: oracle.sparsityBits)
            let expected = oracle.mask.map { $0 == "1" }
            let mask = Pruner.mask(
                for: Tensor(shape: oracle.shape, storage: values), outputChannelAxis: 0, rule: .sparsity(sparsity))
            let label = "shape \(oracle.shape), s = \(sparsity)"
            #expect(mask.filter { $0 }.count == expected.filter { $0 }.count, "\(label)")
            // The boundary magnitude: the largest torch pruned. Below it both prune, above it both keep;
            // at it both prune the same number (torch's choice among equal magnitudes follows topk).
            guard let boundary = Pruner.largestPrunedMagnitude(of: values, mask: expected) else {
                #expect(!mask.contains(true), "\(label)")
                continue
            }
            var tiedOurs = 0, tiedTorch = 0
            for index in values.indices {
                if abs(values[index]) == boundary {
                    tiedOurs += mask[index] ? 1 : 0
                    tiedTorch += expected[index] ? 1 : 0
                } else {
                    #expect(mask[index] == expected[index], "\(label), index \(index)")
                }
            }
            #expect(tiedOurs == tiedTorch, "\(label)")
            if values.filter({ abs($0) == boundary }).count > tiedTorch { tiedBoundaries += 1 }
        }
        // Ties at the boundary really occur in the fixtures, so the count check above is exercised.
        #expect(tiedBoundaries >= 5)
    }
}

import Testing
@testable import QuantCore
import QuantTestSupport

@Suite struct GEMMTests {
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matchesReference(transposeA: Bool, transposeB: Bool) {
        let m = 5, n = 7, k = 3
        var generator = SplitMix64(seed: 42)
        let a = (0..<(m * k)).map { _ in generator.nextFloat(in: -1...1) }
        let b = (0..<(k * n)).map { _ in generator.nextFloat(in: -1...1) }
        let c0 = (0..<(m * n)).map { _ in generator.nextFloat(in: -1...1) }
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(
                        m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, transposeA: transposeA,
                        b: pb.baseAddress!, transposeB: transposeB, beta: 2, c: pc.baseAddress!)
                }
            }
        }
        let expected = GEMM.reference(
            m: m, n: n, k: k, alpha: 0.5, a: a, transposeA: transposeA, b: b, transposeB: transposeB, beta: 2, c: c0)
        #expect(TestSupport.firstMismatch(c, expected) == nil)
    }

    /// Every instruction-set variant, on shapes that exercise partial tiles and several cache blocks.
    @Test(arguments: GEMM.KernelVariant.allCases)
    func variantMatchesReference(variant: GEMM.KernelVariant) {
        let shapes = [(1, 1, 1), (13, 33, 7), (97, 65, 300), (250, 10, 64), (16, 196, 72), (3, 2100, 5)]
        for (m, n, k) in shapes {
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                var generator = SplitMix64(seed: UInt64(m * 7919 + n * 31 + k))
                let a = (0..<(m * k)).map { _ in generator.nextFloat(in: -1...1) }
                let b = (0..<(k * n)).map { _ in generator.nextFloat(in: -1...1) }
                let c0 = (0..<(m * n)).map { _ in generator.nextFloat(in: -1...1) }
                var c = c0
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            GEMM.forceKernelVariant(variant)
                            GEMM.multiply(
                                m: m, n: n, k: k, alpha: 0.75, a: pa.baseAddress!, transposeA: transposeA,
                                b: pb.baseAddress!, transposeB: transposeB, beta: 1, c: pc.baseAddress!)
                            GEMM.forceKernelVariant(nil)
                        }
                    }
                }
                let expected = GEMM.reference(
                    m: m, n: n, k: k, alpha: 0.75, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
                    beta: 1, c: c0)
                // Blocked FMA sums differ from the reference's sequential sum by rounding only:
                // bound by k · ε · Σ|a·b| ≤ k · ε · k for entries in [-1, 1].
                let tolerance = Float(k) * Float(k) * Float.ulpOfOne + 1e-6
                let worst = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(
                    worst <= tolerance, "\(variant) m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB): \(worst)")
            }
        }
    }

    /// B packed once gives bit for bit what `multiply` gives, for every variant, with A read in
    /// place (row-major, alpha 1: full panels read directly, a partial last panel packed) and
    /// packed (transposed or scaled).
    @Test(arguments: GEMM.KernelVariant.allCases)
    func packedBMatchesMultiplyBitForBit(variant: GEMM.KernelVariant) throws {
        let shapes = [(1, 1, 1), (13, 33, 7), (97, 65, 300), (250, 256, 784), (24, 2100, 5), (12, 32, 513)]
        for (m, n, k) in shapes {
            for (transposeA, transposeB, alpha) in [
                (false, true, Float(1)), (false, false, 1), (true, true, 1), (false, true, 0.5),
            ] {
                var generator = SplitMix64(seed: UInt64(m * 131 + n * 7 + k))
                let a = (0..<(m * k)).map { _ in generator.nextFloat(in: -1...1) }
                let b = (0..<(k * n)).map { _ in generator.nextFloat(in: -1...1) }
                let c0 = (0..<(m * n)).map { _ in generator.nextFloat(in: -1...1) }
                var viaMultiply = c0
                var viaPacked = c0
                GEMM.forceKernelVariant(variant)
                defer { GEMM.forceKernelVariant(nil) }
                let packed = try #require(
                    b.withUnsafeBufferPointer {
                        GEMM.PackedMatrix(b: $0.baseAddress!, n: n, k: k, transposeB: transposeB)
                    })
                #expect(packed.fitsThisThread && packed.byteCount >= n * k * 4)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        viaMultiply.withUnsafeMutableBufferPointer { pc in
                            GEMM.multiply(
                                m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, transposeA: transposeA,
                                b: pb.baseAddress!, transposeB: transposeB, beta: 1, c: pc.baseAddress!)
                        }
                    }
                    viaPacked.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(
                            m: m, alpha: alpha, a: pa.baseAddress!, transposeA: transposeA, packedB: packed, beta: 1,
                            c: pc.baseAddress!)
                    }
                }
                let label = "\(variant) m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB) alpha=\(alpha)"
                #expect(viaPacked.map(\.bitPattern) == viaMultiply.map(\.bitPattern), "\(label)")
                let expected = GEMM.reference(
                    m: m, n: n, k: k, alpha: alpha, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
                    beta: 1, c: c0)
                let worst = zip(viaPacked, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= Float(k) * Float(k) * Float.ulpOfOne + 1e-6, "\(label): \(worst)")
            }
        }
    }

    @Test func packingNothingGivesNil() {
        let b: [Float] = [1]
        b.withUnsafeBufferPointer { pb in
            #expect(GEMM.PackedMatrix(b: pb.baseAddress!, n: 0, k: 1, transposeB: false) == nil)
            #expect(GEMM.PackedMatrix(b: pb.baseAddress!, n: 1, k: 0, transposeB: true) == nil)
        }
    }

    @Test func handComputed() {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
        let result = GEMM.reference(m: 2, n: 2, k: 2, a: [1, 2, 3, 4], b: [5, 6, 7, 8])
        #expect(result == [19, 22, 43, 50])
        var c = [Float](repeating: 0, count: 4)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: 2, n: 2, k: 2, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                }
            }
        }
        #expect(c == [19, 22, 43, 50])
    }
}

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

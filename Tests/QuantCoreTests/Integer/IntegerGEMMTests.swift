import CKernels
import Testing

@testable import QuantCore

/// The integer GEMM variants against the scalar reference, bit for bit, and the reference
/// against a plain 64-bit loop.
@Suite struct IntegerGEMMTests {
    /// Random operands over the whole range the integer model feeds: codes minus a zero point
    /// (−255…255) and int8 weights (−128…127).
    static func operands(m: Int, n: Int, k: Int, seed: UInt64) -> ([Int16], [Int8]) {
        var random = SplitMix64(seed: seed)
        let a = (0..<(m * k)).map { _ in Int16(Int(random.next() % 511) - 255) }
        let b = (0..<(n * k)).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 256) - 128) }
        return (a, b)
    }

    static func run(
        _ kernel: (Int, Int, Int, UnsafePointer<Int16>?, UnsafePointer<Int8>?, UnsafeMutablePointer<Int32>?) -> Void,
        _ a: [Int16], _ b: [Int8], m: Int, n: Int, k: Int
    ) -> [Int32] {
        var c = [Int32](repeating: -1, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { kernel(m, n, k, a.baseAddress, b.baseAddress, $0.baseAddress) }
            }
        }
        return c
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 15), (4, 4, 16), (7, 9, 33), (17, 10, 64), (2, 64, 784), (5, 3, 255)])
    func avx2MatchesTheScalarReferenceBitForBit(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let (a, b) = Self.operands(m: m, n: n, k: k, seed: UInt64(m * 1000 + n * 10 + k))
        let scalar = Self.run(ck_qgemm_s16s8_scalar, a, b, m: m, n: n, k: k)
        #expect(Self.run(ck_qgemm_s16s8_avx2, a, b, m: m, n: n, k: k) == scalar)
        #expect(Self.run(ck_qgemm_s16s8, a, b, m: m, n: n, k: k) == scalar)
        #expect(IntegerKernels.gemm(a, b, m: m, n: n, k: k) == scalar)
        for i in 0..<m {
            for j in 0..<n {
                let exact = (0..<k).reduce(Int64(0)) { $0 + Int64(a[i * k + $1]) * Int64(b[j * k + $1]) }
                #expect(Int64(scalar[i * n + j]) == exact)
            }
        }
    }

    @Test func extremeOperandsDoNotSaturate() {
        // 255 · (−128) summed in pairs is −65 280: beyond int16, where vpmaddubsw would saturate.
        let k = 48
        let a = [Int16](repeating: 255, count: k)
        let b = [Int8](repeating: -128, count: 2 * k)
        let expected = Int32(255 * -128 * k)
        #expect(Self.run(ck_qgemm_s16s8_avx2, a, b, m: 1, n: 2, k: k) == [expected, expected])
    }

    @Test func variantIsReported() {
        let variant = String(cString: ck_qgemm_variant())
        #expect(variant == "avx2" || variant == "scalar")
    }
}

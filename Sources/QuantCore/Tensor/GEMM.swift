import CKernels

/// Dense matrix multiplication, the workhorse of Gemm, MatMul, Conv (via im2col) and training.
///
/// All matrices are row-major. `C[M, N] = alpha · op(A) · op(B) + beta · C`, where `op(A)` is
/// `[M, K]` (A stored `[K, M]` when `transposeA`) and `op(B)` is `[K, N]` (B stored `[N, K]`
/// when `transposeB`). The summation order over `K` is fixed (ascending), so results are
/// deterministic for a given build.
///
/// The fast path is `ck_sgemm` (CKernels: packed, cache-blocked, AVX-512 / AVX2+FMA / portable
/// micro-kernels chosen at run time); `reference` is the specification it is tested against.
public enum GEMM {
    /// Computes `C = alpha · op(A) · op(B) + beta · C` on raw buffers.
    ///
    /// - Parameters:
    ///   - a: `[M, K]`, or `[K, M]` when `transposeA`.
    ///   - b: `[K, N]`, or `[N, K]` when `transposeB`.
    ///   - c: `[M, N]`; read only when `beta != 0`.
    /// - Complexity: O(M·N·K).
    public static func multiply(
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, transposeA: Bool = false,
        b: UnsafePointer<Float>, transposeB: Bool = false,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>
    ) {
        if beta == 0 {
            c.update(repeating: 0, count: m * n)
        } else if beta != 1 {
            for index in 0..<(m * n) { c[index] *= beta }
        }
        guard m > 0, n > 0, k > 0 else { return }
        ck_sgemm(
            transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, transposeA ? m : k, b, transposeB ? k : n, c, n)
    }

    /// `C[i, ·] = rowStart[i] + A · B`, then `clamp` applied to every element (CKernels
    /// `ck_sgemm_epilogue`): bit for bit filling row `i` of `C` with `rowStart[i]`, multiplying
    /// with `beta: 1` and clamping afterwards, without the two extra passes over `C`.
    ///
    /// - Parameters:
    ///   - a: `[M, K]`, row-major.
    ///   - b: `[K, N]`, row-major.
    ///   - rowStart: `[M]`, each row's starting value (a convolution's bias, or zeros).
    ///   - readingBInPlace: multiply without packing B where the CPU's kernel can (CKernels
    ///     `ck_sgemm_direct`, AVX-512): same bits, faster for products with few rows.
    ///   - addend: `[M, N]` added to each finished element before the clamp (a residual Add
    ///     fused into the convolution: `(rowStart + A·B) + addend`, the Add's own operation).
    ///   - c: `[M, N]`, every element written.
    public static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, rowStart: UnsafePointer<Float>,
        clamp: OutputClamp?, readingBInPlace: Bool = false, addend: UnsafePointer<Float>? = nil,
        c: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for row in 0..<m { (c + row * n).update(repeating: rowStart[row], count: n) }
            if let addend { for index in 0..<(m * n) { c[index] = c[index] + addend[index] } }
            clamp?.apply(to: c, count: m * n)
            return
        }
        OutputClamp.withBounds(clamp) { bounds in
            if readingBInPlace, ck_sgemm_direct(m, n, k, a, k, b, n, c, n, rowStart, bounds, addend) == 1 { return }
            ck_sgemm_epilogue(0, 0, m, n, k, 1, a, k, b, n, c, n, rowStart, bounds, addend)
        }
    }

    /// The instruction-set variant the fast path uses on this CPU: `avx512`, `avx2-fma` or `portable`.
    public static var kernelVariant: String { String(cString: ck_sgemm_variant()) }

    /// Forces a variant of the fast path on the calling thread (for tests and benchmarks); `nil`
    /// restores the best one.
    ///
    /// - Returns: the variant now in use (the best available when `variant` is not supported).
    @discardableResult
    static func forceKernelVariant(_ variant: KernelVariant?) -> String {
        String(cString: ck_sgemm_force_variant(variant?.rawValue ?? 0))
    }

    /// The fast path's instruction-set variants.
    enum KernelVariant: Int32, CaseIterable, Sendable {
        /// Plain C, any CPU.
        case portable = 1
        /// x86-64 with AVX2 and FMA.
        case avx2 = 2
        /// x86-64 with AVX-512F.
        case avx512 = 3
    }

    /// Returns the `[columns, rows]` transpose of a row-major `[rows, columns]` matrix.
    public static func transpose(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            for r in 0..<rows {
                for col in 0..<columns {
                    buffer[col * rows + r] = matrix[r * columns + col]
                }
            }
            initialized = rows * columns
        }
    }

    /// Plain triple-loop reference: the specification the fast path is tested against.
    public static func reference(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: [Float], transposeA: Bool = false,
        b: [Float], transposeB: Bool = false,
        beta: Float = 0, c: [Float]? = nil
    ) -> [Float] {
        var result = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let aValue = transposeA ? a[p * m + i] : a[i * k + p]
                    let bValue = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += aValue * bValue
                }
                let previous = beta == 0 ? 0 : beta * (c?[i * n + j] ?? 0)
                result[i * n + j] = alpha * sum + previous
            }
        }
        return result
    }
}

extension GEMM {
    /// The B operand of many products packed once (a layer's weights, multiplied by every batch):
    /// `multiply(m:a:packedB:c:)` then skips the packing `multiply` does on every call.
    public final class PackedMatrix: @unchecked Sendable {
        /// The packed panels; immutable after `init`, read by any number of threads.
        let pointer: OpaquePointer
        /// `op(B)` is `[k, n]`.
        public let n: Int, k: Int

        /// Packs `op(B)` (`[k, n]`, or stored `[n, k]` when `transposeB`) for this thread's variant.
        ///
        /// - Returns: `nil` when `n` or `k` is 0 or memory ran out.
        public init?(b: UnsafePointer<Float>, n: Int, k: Int, transposeB: Bool) {
            guard n > 0, k > 0, let pointer = ck_sgemm_pack_b(transposeB ? 1 : 0, n, k, b, transposeB ? k : n) else {
                return nil
            }
            self.pointer = pointer
            self.n = n
            self.k = k
        }

        deinit { ck_sgemm_free_packed(pointer) }

        /// The bytes the packed copy holds.
        public var byteCount: Int { ck_sgemm_packed_bytes(pointer) }

        /// Whether it was packed for the variant the calling thread uses now.
        var fitsThisThread: Bool { ck_sgemm_packed_for_this_thread(pointer) != 0 }
    }

    /// `C[m, n] = alpha · op(A) · B + beta · C` with B packed beforehand: bit for bit what
    /// `multiply` gives for the same operands.
    public static func multiply(
        m: Int, alpha: Float = 1, a: UnsafePointer<Float>, transposeA: Bool = false, packedB: PackedMatrix,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        let n = packedB.n
        if beta == 0 {
            c.update(repeating: 0, count: m * n)
        } else if beta != 1 {
            for index in 0..<(m * n) { c[index] *= beta }
        }
        guard m > 0 else { return }
        ck_sgemm_packed_b(transposeA ? 1 : 0, m, alpha, a, transposeA ? m : packedB.k, packedB.pointer, c, n)
    }
}

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

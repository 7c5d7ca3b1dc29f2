/// Dense matrix multiplication, the workhorse of Gemm, MatMul, Conv (via im2col) and training.
///
/// All matrices are row-major. `C[M, N] = alpha · op(A) · op(B) + beta · C`, where `op(A)` is
/// `[M, K]` (A stored `[K, M]` when `transposeA`) and `op(B)` is `[K, N]` (B stored `[N, K]`
/// when `transposeB`). The summation order over `K` is fixed (ascending), so results are
/// deterministic for a given build.
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

        // Bring both operands to the [M, K] · [K, N] layout so the inner loop streams rows.
        if transposeA {
            let packedA = transpose(a, rows: k, columns: m)  // [K, M] -> [M, K]
            packedA.withUnsafeBufferPointer { packed in
                guard let rowsA = packed.baseAddress else { return }
                multiply(m: m, n: n, k: k, alpha: alpha, a: rowsA, b: b, transposeB: transposeB, beta: 1, c: c)
            }
            return
        }
        if transposeB {
            let packedB = transpose(b, rows: n, columns: k)  // [N, K] -> [K, N]
            packedB.withUnsafeBufferPointer { packed in
                guard let rowsB = packed.baseAddress else { return }
                multiplyRowMajor(m: m, n: n, k: k, alpha: alpha, a: a, b: rowsB, c: c)
            }
            return
        }
        multiplyRowMajor(m: m, n: n, k: k, alpha: alpha, a: a, b: b, c: c)
    }

    /// `C += alpha · A · B` with A `[M, K]`, B `[K, N]`, C `[M, N]`, all row-major.
    @inline(__always)
    private static func multiplyRowMajor(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<m {
            let rowC = c + i * n
            let rowA = a + i * k
            for p in 0..<k {
                let scaled = alpha * rowA[p]
                if scaled == 0 { continue }
                let rowB = b + p * n
                for j in 0..<n {
                    rowC[j] += scaled * rowB[j]
                }
            }
        }
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

import Foundation

/// Constant GEMM operands (Gemm weights) packed once, and 3×3 Conv weights transformed once for
/// `WinogradConvolution`, reused by every later run and batch.
///
/// An entry keeps the packed copy together with the weight array it was packed from. Holding
/// that array keeps its buffer alive and shared, so it cannot be freed, reused or written in
/// place (Swift copies a shared array before mutating it): a tensor whose storage is the same
/// buffer therefore has the same values, and the packed copy is reused exactly when it is
/// exact. New weights for the same name (a layer quantized differently) replace the entry.
///
/// Shared by copies of a `GraphExecutor` and safe to use from many threads: a thread that
/// finds the entry missing packs under the lock, so a second thread waits and reuses it.
final class PackedWeightCache: @unchecked Sendable {
    private struct Key: Hashable {
        let name: String
        let transposed: Bool
    }

    private struct Entry {
        let source: [Float]
        let packed: GEMM.PackedMatrix
    }

    private var entries: [Key: Entry] = [:]
    /// Conv weights transformed for `WinogradConvolution`, by name, with the array they came from.
    private var transformed: [String: (source: [Float], values: [Float])] = [:]
    private let lock = NSLock()

    /// `op(B)` of `tensor` (the value named `name`, stored `[n, k]` when `transposed`, else
    /// `[k, n]`) packed for this thread's GEMM variant; `nil` when it cannot be packed.
    func packed(_ name: String, _ tensor: Tensor, transposed: Bool, n: Int, k: Int) -> GEMM.PackedMatrix? {
        guard n > 0, k > 0, tensor.count == n * k else { return nil }
        let key = Key(name: name, transposed: transposed)
        return lock.withLock {
            if let entry = entries[key], entry.packed.n == n, entry.packed.k == k, entry.packed.fitsThisThread,
                Self.sameBuffer(entry.source, tensor.storage)
            {
                return entry.packed
            }
            guard
                let packed = tensor.storage.withUnsafeBufferPointer({ buffer in
                    buffer.baseAddress.flatMap { GEMM.PackedMatrix(b: $0, n: n, k: k, transposeB: transposed) }
                })
            else { return nil }
            entries[key] = Entry(source: tensor.storage, packed: packed)
            return packed
        }
    }

    /// `WinogradConvolution.transformedWeights` of `tensor` (the Conv weights `[M, C, 3, 3]`
    /// named `name`), made once while the weight array is the same buffer.
    func winogradWeights(_ name: String, _ tensor: Tensor) -> [Float]? {
        guard tensor.rank == 4, tensor.shape[2] == 3, tensor.shape[3] == 3, tensor.count > 0 else { return nil }
        return lock.withLock {
            if let entry = transformed[name], Self.sameBuffer(entry.source, tensor.storage) { return entry.values }
            let values = tensor.storage.withUnsafeBufferPointer { buffer in
                WinogradConvolution.transformedWeights(
                    buffer.baseAddress!, outputChannels: tensor.shape[0], channels: tensor.shape[1])
            }
            transformed[name] = (tensor.storage, values)
            return values
        }
    }

    /// The bytes of every packed or transformed copy held.
    var byteCount: Int {
        lock.withLock {
            entries.values.reduce(0) { $0 + $1.packed.byteCount }
                + transformed.values.reduce(0) { $0 + $1.values.count * MemoryLayout<Float>.stride }
        }
    }

    /// Drops every entry (and with it the weight arrays they hold).
    func removeAll() {
        lock.withLock {
            entries.removeAll()
            transformed.removeAll()
        }
    }

    private static func sameBuffer(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count
            && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
    }
}

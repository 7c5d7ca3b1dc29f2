import Foundation

/// The images of a `.npy` file, read a batch at a time instead of loaded whole, so evaluating
/// on a large held-out set (1000 ImageNet images are 600 MB as float32) needs memory for one
/// batch, not for the set.
///
/// Rows are read with `pread` on a descriptor held open (safe from any thread), converted to
/// `Float` and transformed exactly as `DatasetLoader` transforms a file it loads whole. The
/// file is checked once when opened: its header, its size and every value (finite before and
/// after the transform), reading it in chunks.
public final class StreamedSamples: @unchecked Sendable {
    /// The file, for messages.
    public let path: String
    /// The stored shape `[N, ...]` (N already cut to the sample limit).
    public let shape: [Int]
    /// The element type stored.
    let layout: NumPyArray.Layout
    /// Stored values → model values.
    let transform: SampleTransform
    /// The open file.
    private let descriptor: Int32

    /// Values per sample.
    public var sampleElementCount: Int { Tensor.elementCount(of: Array(shape.dropFirst())) }

    /// The number of samples.
    public var count: Int { shape.first ?? 0 }

    /// Opens `path`, whose header `layout` was read, for `rows` samples transformed by `transform`,
    /// and checks every value.
    ///
    /// - Throws: `ModelIOError` naming the file and the first value that is not finite.
    init(path: String, layout: NumPyArray.Layout, rows: Int, transform: SampleTransform) throws {
        self.path = path
        self.layout = layout
        self.shape = [rows] + layout.shape.dropFirst()
        self.transform = transform
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ModelIOError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        do {
            try checkValues()
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// The model values of samples `rows`, C order.
    ///
    /// - Throws: `ModelIOError.unreadable` when the file can no longer be read (it shrank, the
    ///   disk failed).
    public func values(rows: Range<Int>) throws -> [Float] {
        var values = try storedValues(rows: rows)
        transform.apply(to: &values)
        return values
    }

    /// The model values of the samples at `indices`, in that order.
    public func values(indices: [Int]) throws -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(indices.count * sampleElementCount)
        var start = 0
        while start < indices.count {
            var end = start + 1  // read runs of consecutive rows at once
            while end < indices.count, indices[end] == indices[end - 1] + 1 { end += 1 }
            result += try values(rows: indices[start]..<(indices[end - 1] + 1))
            start = end
        }
        return result
    }

    /// The stored values of samples `rows` as `Float`, untransformed.
    private func storedValues(rows: Range<Int>) throws -> [Float] {
        let perSample = sampleElementCount
        let width = layout.elementType.byteWidth
        let byteCount = rows.count * perSample * width
        var bytes = [UInt8](repeating: 0, count: byteCount)
        var done = 0
        let offset = layout.payloadOffset + rows.lowerBound * perSample * width
        try bytes.withUnsafeMutableBytes { buffer in
            while done < byteCount {
                let read = pread(descriptor, buffer.baseAddress! + done, byteCount - done, off_t(offset + done))
                if read < 0, errno == EINTR { continue }
                guard read > 0 else {
                    let reason =
                        read < 0 ? String(cString: strerror(errno)) : "the file is shorter than when it was opened"
                    throw ModelIOError.unreadable(path: path, reason: reason)
                }
                done += read
            }
        }
        let array = NumPyArray(elementType: layout.elementType, shape: [byteCount / width], payload: Data(bytes))
        return array.floatValues()
    }

    /// Reads the file once in chunks, refusing values that are not finite as stored or after
    /// the transform, with the same messages as a file loaded whole.
    private func checkValues() throws {
        let perSample = max(sampleElementCount, 1)
        let chunkRows = max(1, (4 << 20) / perSample)
        var row = 0
        while row < count {
            let rows = row..<min(row + chunkRows, count)
            var values = try storedValues(rows: rows)
            try transform.applyChecked(to: &values, base: rows.lowerBound * perSample, perSample: perSample, path: path)
            row = rows.upperBound
        }
    }
}

import Foundation

extension NumPyArray {
    /// Where a `.npy` file's values are and what they are, read from its header alone: what a
    /// reader needs to read rows on demand instead of loading the file (`StreamedSamples`).
    public struct Layout: Sendable, Equatable {
        /// The element type.
        public var elementType: ElementType
        /// The shape, outermost axis first.
        public var shape: [Int]
        /// The byte offset of the first value in the file.
        public var payloadOffset: Int

        /// Reads the layout of the `.npy` file at `path` from its first bytes, checking that the
        /// file holds exactly the values its header declares — or, with a `rowLimit` below the
        /// rows declared, at least the header and the rows kept (and never more than declared).
        ///
        /// - Throws: `ModelIOError.unreadable` or `.malformed`, as `NumPyArray.read`.
        public static func read(path: String, rowLimit: Int? = nil) throws -> Layout {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ModelIOError.unreadable(path: path, reason: "no such readable file")
            }
            defer { try? handle.close() }
            do {
                let size = Int(try handle.seekToEnd())
                try handle.seek(toOffset: 0)
                var prefix = try handle.read(upToCount: 12) ?? Data()
                if prefix.count >= 10 {
                    let bytes = [UInt8](prefix)
                    let length =
                        bytes[6] == 1
                        ? Int(bytes[8]) | Int(bytes[9]) << 8
                        : bytes.count >= 12
                            ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : 0
                    // A header longer than the file is reported by `parse`; never read past it.
                    let wanted = min(max(length + 12 - prefix.count, 0), max(size - prefix.count, 0))
                    prefix += try handle.read(upToCount: wanted) ?? Data()
                }
                return try parse(prefix, fileSize: size, path: path, rowLimit: rowLimit)
            } catch let error as ModelIOError {
                throw error
            } catch {
                throw ModelIOError.unreadable(path: path, reason: error.localizedDescription)
            }
        }

        /// Parses the header at the start of `data` (the file's first bytes, at least the whole
        /// header or the whole file), for a file of `fileSize` bytes.
        static func parse(_ data: Data, fileSize: Int, path: String, rowLimit: Int? = nil) throws -> Layout {
            let (array, payloadStart, needed) = try NumPyArray.header(data, path: path)
            let present = fileSize - payloadStart
            if let rowLimit, let rows = array.shape.first, rowLimit < rows, present < needed {
                // Only the rows kept are read, so only they must be there.
                let kept = needed / rows * max(rowLimit, 0)
                guard present >= kept else {
                    throw ModelIOError.malformed(
                        path: path,
                        detail:
                            "truncated: the first \(rowLimit) rows need \(kept) bytes after the header at byte \(payloadStart), the file has \(present)"
                    )
                }
                return Layout(elementType: array.elementType, shape: array.shape, payloadOffset: payloadStart)
            }
            guard needed == present else {
                throw ModelIOError.malformed(
                    path: path,
                    detail:
                        "shape \(NumPyHeader.format(array.shape)) of \(array.elementType) needs \(needed) bytes after the header at byte \(payloadStart), the file has \(present)"
                )
            }
            return Layout(elementType: array.elementType, shape: array.shape, payloadOffset: payloadStart)
        }

        /// The values at C-order flat indices `elements`, read from the `.npy` file at `path`
        /// (whose layout this is): only their bytes are read, nothing else of the file.
        ///
        /// - Throws: `ModelIOError.unreadable` when the file cannot be read or ends before them.
        public func values(path: String, elements: Range<Int>) throws -> NumPyArray {
            let width = elementType.byteWidth
            let byteCount = elements.count * width
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ModelIOError.unreadable(path: path, reason: "no such readable file")
            }
            defer { try? handle.close() }
            let data: Data
            do {
                try handle.seek(toOffset: UInt64(payloadOffset + elements.lowerBound * width))
                data = try handle.read(upToCount: byteCount) ?? Data()
            } catch {
                throw ModelIOError.unreadable(path: path, reason: error.localizedDescription)
            }
            guard data.count == byteCount else {
                throw ModelIOError.unreadable(path: path, reason: "the file is shorter than its header says")
            }
            return NumPyArray(elementType: elementType, shape: [elements.count], payload: data)
        }
    }
}

extension NumPyArray {
    /// Reads the header and only the first `rowLimit` rows (along axis 0) of a `.npy` file;
    /// `nil` reads it whole. The file may end after the rows kept.
    ///
    /// - Throws: as `NumPyArray.read(from:)`.
    public static func read(from url: URL, rowLimit: Int?) throws -> NumPyArray {
        guard let rowLimit else { return try read(from: url) }
        let layout = try Layout.read(path: url.path, rowLimit: rowLimit)
        guard let total = layout.shape.first else { return try read(from: url) }  // a scalar has no rows
        let rows = min(total, max(rowLimit, 0))
        let rest = Array(layout.shape.dropFirst())
        let values = try layout.values(path: url.path, elements: 0..<rows * Tensor.elementCount(of: rest))
        return NumPyArray(elementType: layout.elementType, shape: [rows] + rest, payload: values.payload)
    }
}

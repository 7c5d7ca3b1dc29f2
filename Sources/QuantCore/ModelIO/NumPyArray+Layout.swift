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
        /// file holds exactly the values its header declares.
        ///
        /// - Throws: `ModelIOError.unreadable` or `.malformed`, as `NumPyArray.read`.
        public static func read(path: String) throws -> Layout {
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
                return try parse(prefix, fileSize: size, path: path)
            } catch let error as ModelIOError {
                throw error
            } catch {
                throw ModelIOError.unreadable(path: path, reason: error.localizedDescription)
            }
        }

        /// Parses the header at the start of `data` (the file's first bytes, at least the whole
        /// header or the whole file), for a file of `fileSize` bytes.
        static func parse(_ data: Data, fileSize: Int, path: String) throws -> Layout {
            let (array, payloadStart, needed) = try NumPyArray.header(data, path: path)
            let present = fileSize - payloadStart
            guard needed == present else {
                throw ModelIOError.malformed(
                    path: path,
                    detail:
                        "shape \(NumPyHeader.format(array.shape)) of \(array.elementType) needs \(needed) bytes after the header at byte \(payloadStart), the file has \(present)"
                )
            }
            return Layout(elementType: array.elementType, shape: array.shape, payloadOffset: payloadStart)
        }
    }
}

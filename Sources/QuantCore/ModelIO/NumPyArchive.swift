import Foundation
import ZIPFoundation

/// Reads named arrays from a NumPy `.npz` archive (a ZIP of `.npy` files, stored or deflated,
/// as `np.savez` and `np.savez_compressed` write them).
public struct NumPyArchive {
    /// The archive's path, for messages.
    public let path: String
    /// The open archive.
    private let archive: Archive
    /// The archive's bytes (entries are read from them, see `contents(of:index:in:path:)`).
    private let bytes: Data

    /// Opens the archive at `url`.
    ///
    /// - Throws: `ModelIOError.unreadable` when the file cannot be read, `.malformed` when it is
    ///   not a ZIP archive.
    public init(contentsOf url: URL) throws {
        path = url.path
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ModelIOError.unreadable(path: url.path, reason: "no such readable file")
        }
        // Mapped, not read: only the pages of the entries (and rows) asked for are ever read.
        guard let bytes = try? Data(contentsOf: url, options: .alwaysMapped),
            let archive = try? Archive(url: url, accessMode: .read, pathEncoding: nil)
        else {
            throw ModelIOError.malformed(path: url.path, detail: "not a NumPy .npz file (not a ZIP archive)")
        }
        self.bytes = bytes
        self.archive = archive
    }

    /// The names of the arrays held (entry names without `.npy`), in archive order.
    public var arrayNames: [String] {
        archive.filter { $0.type == .file }.map { $0.path.hasSuffix(".npy") ? String($0.path.dropLast(4)) : $0.path }
    }

    /// The array stored as `name.npy`.
    ///
    /// - Throws: `ModelIOError.malformed` when no such array exists (listing those present), when
    ///   the entry cannot be decompressed, or when it is not a valid `.npy` file.
    public func array(named name: String) throws -> NumPyArray {
        try array(named: name, rowLimit: nil)
    }

    /// The first `rowLimit` rows (along axis 0) of the array stored as `name.npy`, inflating only
    /// the bytes they need (all rows when `nil`).
    public func array(named name: String, rowLimit: Int?) throws -> NumPyArray {
        guard let entry = archive[name + ".npy"] ?? archive[name] else {
            let present = arrayNames.map { "'\($0)'" }.joined(separator: ", ")
            throw ModelIOError.malformed(
                path: path, detail: "no array named '\(name)' (the archive holds \(present.isEmpty ? "none" : present))"
            )
        }
        let entryPath = "\(path) (\(entry.path))"
        let index = archive.enumerated().first { $0.element == entry }?.offset ?? 0
        if let rowLimit {
            // The header first (at most 1 MiB), then exactly the rows asked for.
            let head = try Self.contents(
                of: entry, index: index, in: bytes, path: entryPath,
                prefix: Int(clamping: min(entry.uncompressedSize, 1 << 20)))
            if let needed = NumPyArray.byteCount(ofFirst: rowLimit, prefix: head, path: entryPath),
                UInt64(needed) < entry.uncompressedSize
            {
                let data = try Self.contents(of: entry, index: index, in: bytes, path: entryPath, prefix: needed)
                return try NumPyArray.parse(data, path: entryPath, rowLimit: rowLimit)
            }
        }
        let data = try Self.contents(of: entry, index: index, in: bytes, path: entryPath)
        return try NumPyArray.parse(data, path: entryPath)
    }
}

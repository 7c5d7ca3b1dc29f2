import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that readers see either the old content or the new, never a mix.
///
/// The data goes to a temporary file in the same folder, which is flushed to disk (`fsync`),
/// renamed over the destination, and the folder itself is flushed so the rename survives a crash.
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `url` with `data`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file; the old file is untouched then.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary.path) }
        }
        let written: Int = data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let result = Foundation.write(descriptor, base + offset, bytes.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                offset += result
            }
            return offset
        }
        let syncResult = fsync(descriptor)
        close(descriptor)
        guard written == data.count, syncResult == 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        succeeded = true
        let folderDescriptor = open(folder.path, O_RDONLY)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}

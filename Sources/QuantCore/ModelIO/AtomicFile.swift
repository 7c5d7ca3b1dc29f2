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
    /// A destination that is a folder (`.`, `..`, an existing directory) is refused before any
    /// file is created, so the temporary file never lands outside the destination's folder.
    /// - Throws: `ModelIOError.writeFailed` naming the file; the old file is untouched then and
    ///   no temporary file is left behind.
    public static func write(_ data: Data, to url: URL) throws {
        let target = url.standardizedFileURL
        var isDirectory: ObjCBool = false
        if target.path == "/"
            || FileManager.default.fileExists(atPath: target.path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        {
            throw ModelIOError.writeFailed(path: url.path, reason: "is a folder, not a file")
        }
        let folder = target.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary.path) }
        }
        var failure: Int32 = 0
        let written: Int = data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let result = Foundation.write(descriptor, base + offset, bytes.count - offset)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 {
                    failure = result < 0 ? errno : EIO
                    return -1
                }
                offset += result
            }
            return offset
        }
        if written == data.count, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        guard written == data.count, failure == 0 else {
            throw ModelIOError.writeFailed(
                path: url.path, reason: String(cString: strerror(failure == 0 ? EIO : failure)))
        }
        guard rename(temporary.path, target.path) == 0 else {
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

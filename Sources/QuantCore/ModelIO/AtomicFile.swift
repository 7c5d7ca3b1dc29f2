import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes files so that readers see either the old content or the new, never a mix.
///
/// The data goes to a temporary file in the same folder, `.NAME.PID.UUID.tmp`, which is flushed
/// to disk (`fsync`), renamed over the destination, and the folder itself is flushed so the
/// rename survives a crash. Only a regular file (or a symbolic link to one) or a path that does
/// not exist yet is replaced: a folder, device, FIFO or socket is refused before anything is
/// written. Temporary files of this destination left by a process that no longer runs (kill -9
/// during a write) are removed by the next write.
public enum AtomicFile {
    /// Atomically replaces (or creates) the file at `url` with `data`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file; the old file is untouched then and
    ///   no temporary file is left behind.
    public static func write(_ data: Data, to url: URL) throws {
        try write([(data, url)])
    }

    /// Writes several files as a set: every temporary file is written and flushed first, then all
    /// are renamed. When a rename fails, the files already replaced get their old content back
    /// (or are removed if they did not exist), so the set stays the old one.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file that failed.
    public static func write(_ files: [(data: Data, url: URL)]) throws {
        try write(files, moving: { rename($0, $1) })
    }

    /// `write(_:)` with the rename of each temporary file over its destination done by `move`
    /// (`rename(2)`; tests make it fail half-way).
    static func write(_ files: [(data: Data, url: URL)], moving move: (String, String) -> Int32) throws {
        let targets = try files.map { try checkedTarget($0.url) }
        for target in targets { removeStaleTemporaries(of: target) }
        var temporaries: [URL] = []
        var backups: [URL?] = []
        var renamed = 0
        var succeeded = false
        defer {
            if !succeeded {
                // Restore the files already replaced, newest first, then drop what is left.
                for index in (0..<renamed).reversed() {
                    if let backup = backups[index] {
                        rename(backup.path, targets[index].path)
                    } else {
                        unlink(targets[index].path)
                    }
                }
                for temporary in temporaries { unlink(temporary.path) }
            }
            for case let backup? in backups { unlink(backup.path) }
        }
        for ((data, url), target) in zip(files, targets) {
            temporaries.append(try writeTemporary(data, for: target, reporting: url))
        }
        if files.count > 1 {
            // A hard link keeps each old file until the whole set is in place; an old file that
            // cannot be kept stops the write here, before anything is replaced.
            for (target, file) in zip(targets, files) {
                let backup = temporaryURL(for: target, suffix: "bak")
                if link(target.path, backup.path) == 0 {
                    backups.append(backup)
                } else if errno == ENOENT {
                    backups.append(nil)  // a new file: undone by removing it
                } else {
                    throw ModelIOError.writeFailed(
                        path: file.url.path, reason: "cannot keep the old file: \(String(cString: strerror(errno)))")
                }
            }
        } else {
            backups = [nil]
        }
        for (index, target) in targets.enumerated() {
            guard move(temporaries[index].path, target.path) == 0 else {
                throw ModelIOError.writeFailed(path: files[index].url.path, reason: String(cString: strerror(errno)))
            }
            renamed += 1
        }
        succeeded = true
        for folder in Set(targets.map { $0.deletingLastPathComponent().path }) {
            let folderDescriptor = open(folder, O_RDONLY)
            if folderDescriptor >= 0 {
                fsync(folderDescriptor)
                close(folderDescriptor)
            }
        }
    }

    /// Checks, before any long work, that `write` could create or replace `url`: it is a regular
    /// file or a new path, in an existing folder this process may write to.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file and the problem.
    public static func checkDestination(_ url: URL) throws {
        let target = try checkedTarget(url)
        let folder = target.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelIOError.writeFailed(path: url.path, reason: "the folder \(folder) does not exist")
        }
        guard access(folder, W_OK | X_OK) == 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: "the folder \(folder) is not writable")
        }
    }

    /// The standardized destination, after checking that it may be replaced.
    private static func checkedTarget(_ url: URL) throws -> URL {
        guard !url.path.isEmpty, !url.relativePath.isEmpty else {
            throw ModelIOError.writeFailed(path: "\"\"", reason: "an empty path is not a file name")
        }
        let target = url.standardizedFileURL
        if target.path == "/" || url.hasDirectoryPath {
            throw ModelIOError.writeFailed(path: url.path, reason: "is a folder, not a file")
        }
        var status = stat()
        guard stat(target.path, &status) == 0 else {
            if errno == ENOENT { return target }  // a new file (or a dangling link, replaced)
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return target
        case S_IFDIR: throw ModelIOError.writeFailed(path: url.path, reason: "is a folder, not a file")
        default:
            throw ModelIOError.writeFailed(path: url.path, reason: "is not a regular file (a device, FIFO or socket)")
        }
    }

    /// A fresh sibling name for `target`: `.NAME.PID.UUID.SUFFIX`.
    private static func temporaryURL(for target: URL, suffix: String) -> URL {
        target.deletingLastPathComponent().appendingPathComponent(
            ".\(target.lastPathComponent).\(getpid()).\(UUID().uuidString).\(suffix)")
    }

    /// Writes and flushes `data` to a new temporary file next to `target`; returns its URL.
    private static func writeTemporary(_ data: Data, for target: URL, reporting url: URL) throws -> URL {
        let temporary = temporaryURL(for: target, suffix: "tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw ModelIOError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
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
            unlink(temporary.path)
            throw ModelIOError.writeFailed(
                path: url.path, reason: String(cString: strerror(failure == 0 ? EIO : failure)))
        }
        return temporary
    }

    /// Removes `.NAME.PID.UUID.tmp` / `.bak` files of `target` whose process no longer runs.
    static func removeStaleTemporaries(of target: URL) {
        let folder = target.deletingLastPathComponent()
        let prefix = ".\(target.lastPathComponent)."
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for entry in entries where entry.hasPrefix(prefix) && (entry.hasSuffix(".tmp") || entry.hasSuffix(".bak")) {
            let parts = entry.dropFirst(prefix.count).split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[0]), pid > 0, UUID(uuidString: String(parts[1])) != nil
            else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(folder.appendingPathComponent(entry).path)
            }
        }
    }
}

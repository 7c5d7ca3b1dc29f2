import Crypto
import Foundation

/// SHA-256 digests of files, read in chunks so a model of any size is never loaded whole.
///
/// Sessions and exported configs record the digest of the model and data they were made with,
/// so a later run can tell when a file changed. The result is the lowercase hex form that
/// `sha256sum FILE` prints.
public enum FileDigest {
    /// Bytes read per chunk.
    static let chunkByteCount = 1 << 20

    /// The SHA-256 of the file at `url`, as 64 lowercase hex digits.
    ///
    /// - Complexity: O(file size) time, O(1 MiB) memory.
    /// - Throws: `ModelIOError.unreadable` naming the file when it cannot be opened or read.
    public static func sha256(of url: URL) throws -> String {
        try sha256(ofConcatenated: [url])
    }

    /// The SHA-256 of the files' bytes one after another (`cat A B | sha256sum`).
    ///
    /// Used for data sets stored as an images file and a labels file.
    /// - Throws: `ModelIOError.unreadable` naming the first file that cannot be read.
    /// - Parameter progress: reports the MiB hashed of all the files.
    public static func sha256(ofConcatenated urls: [URL], progress: LoadProgress? = nil) throws -> String {
        var hasher = SHA256()
        var counter = progress.map { progress in
            let bytes = urls.reduce(0) { sum, url in
                sum + ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
            }
            return (report: progress.phase(.hashing, total: LoadProgress.mebibytes(bytes)), done: 0)
        }
        for url in urls {
            try feed(url, into: &hasher) { count in
                guard counter != nil else { return }
                counter!.done += count
                counter!.report(LoadProgress.mebibytes(counter!.done))
            }
        }
        return hex(hasher.finalize())
    }

    /// The SHA-256 of `data`, as 64 lowercase hex digits.
    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Whether `text` looks like a digest this type produces: 64 lowercase hex digits.
    public static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Hashes the file at `url` chunk by chunk.
    private static func feed(_ url: URL, into hasher: inout SHA256, read: (Int) -> Void = { _ in }) throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ModelIOError.unreadable(path: url.path, reason: PlanDecoding.readFailureReason(error, url: url))
        }
        defer { try? handle.close() }
        do {
            while let chunk = try handle.read(upToCount: chunkByteCount), !chunk.isEmpty {
                hasher.update(data: chunk)
                read(chunk.count)
            }
        } catch {
            throw ModelIOError.unreadable(path: url.path, reason: PlanDecoding.readFailureReason(error, url: url))
        }
    }

    /// The digest as lowercase hex.
    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}

import ArgumentParser
import Foundation
import QuantCore

/// Checks a command's `--out` before any long work: an existing file needs `--force`, and the
/// folder must exist and be writable (never a directory, FIFO or other non-regular file).
enum OutputDestination {
    /// - Throws: `ValidationError` with the one-line reason.
    static func validate(_ out: String, force: Bool) throws {
        if !force && FileManager.default.fileExists(atPath: out) {
            throw ValidationError("\(out) exists; pass --force to overwrite it")
        }
        do {
            try AtomicFile.checkDestination(URL(fileURLWithPath: out))
        } catch let error as ModelIOError {
            throw ValidationError(error.description)
        }
    }
}

import ArgumentParser
import Foundation
import QuantCore

#if canImport(Glibc)
    import Glibc
#endif

extension QuantdashCommand {
    /// Parses and runs the command like `ParsableCommand.main()`, but every error line goes
    /// through `Printable.text` (control characters escaped, huge names cut) and reaches stderr
    /// in one `write`, not a byte at a time.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }  // --help, --version
                Foundation.exit(code.rawValue)
            }
            writeToStandardError(Printable.text(message) + "\n")
            Foundation.exit(code.rawValue)
        }
    }

    /// Writes `text` to stderr with as few `write` calls as the kernel allows.
    static func writeToStandardError(_ text: String) {
        fflush(nil)  // all stdio streams, so stdout text comes before the error
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

import Foundation
import QuantCore

/// Helpers shared by the test targets.
public enum TestSupport {
    /// The package's root folder (the directory holding `Package.swift`).
    public static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// A fresh temporary directory, unique per call.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quantdash-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Asserts two float arrays agree within `rtol · |expected| + atol` element-wise; returns the first mismatch.
    public static func firstMismatch(
        _ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6
    ) -> String? {
        guard actual.count == expected.count else { return "count \(actual.count) != \(expected.count)" }
        for i in actual.indices {
            let tolerance = atol + rtol * abs(expected[i])
            if !(abs(actual[i] - expected[i]) <= tolerance) {
                return "element \(i): \(actual[i]) vs expected \(expected[i]) (tolerance \(tolerance))"
            }
        }
        return nil
    }
}

/// Runs a built executable of this package and captures what it prints.
public struct ProcessResult: Sendable {
    /// The exit status.
    public var status: Int32
    /// Everything written to standard output.
    public var standardOutput: String
    /// Everything written to standard error.
    public var standardError: String
}

extension TestSupport {
    /// The folder holding the built products (`quantdash`, the test bundle) of the current build.
    public static var productsDirectory: URL {
        let candidates = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0])]
        for candidate in candidates.compactMap({ $0 }) {
            var folder = candidate.deletingLastPathComponent()
            if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("quantdash").path) {
                return folder
            }
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// Runs `quantdash` with `arguments` and waits for it to finish.
    ///
    /// Progress lines are held back for an hour (`QUANTDASH_PROGRESS_AFTER`) unless `environment`
    /// sets it: tests compare stderr exactly, and on a loaded machine even loading the demo model
    /// can take the second after which progress would show.
    public static func runQuantdash(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult
    {
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["QUANTDASH_PROGRESS_AFTER"] == nil { environment["QUANTDASH_PROGRESS_AFTER"] = "3600" }
        return try run(productsDirectory.appendingPathComponent("quantdash").path, arguments, environment: environment)
    }

    /// Runs the program at `path` with `arguments` (standard input empty) and waits for it.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws
        -> ProcessResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a chatty process cannot block on a full pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }
}

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
    public static func firstMismatch(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> String? {
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

import Foundation

/// Strict readers for the record-like objects around plans (provenance, results, session files):
/// required fields, Booleans, timestamps, digests and checked numbers. Like the rest of
/// `PlanDecoding`, each throws `PlanError.invalidField` naming the field's JSON path.
extension PlanDecoding {
    /// The error for a required field that is absent.
    static func missing(_ key: PlanKey, path: PlanPath) -> PlanError {
        .invalidField(file: "", path: path.appending(key.stringValue).description, problem: "missing (required)")
    }

    /// A value that must be present: `read` returns nil only when the field is absent.
    static func required<T>(
        _ key: PlanKey, path: PlanPath, _ read: (PlanKey) throws -> T?
    ) throws -> T {
        guard let value = try read(key) else { throw missing(key, path: path) }
        return value
    }

    /// `true` or `false`, or nil when absent.
    static func bool(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath
    ) throws -> Bool? {
        guard container.contains(key) else { return nil }
        if let value = try? container.decode(Bool.self, forKey: key) { return value }
        throw wrongValue(container, key, path: path, expected: "true or false")
    }

    /// A non-empty string, or nil when absent.
    static func nonEmptyString(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) throws -> String? {
        guard let text = try string(container, key, path: path, expected: expected) else { return nil }
        guard !text.isEmpty else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description, problem: "must not be empty")
        }
        return text
    }

    /// An ISO 8601 timestamp (see `Timestamp`), or nil when absent.
    static func timestamp(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath
    ) throws -> Date? {
        let expected = "an ISO 8601 date and time such as \"2026-11-18T11:06:40Z\""
        guard let text = try string(container, key, path: path, expected: expected) else { return nil }
        guard let date = Timestamp.date(from: text) else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description,
                problem: "expected \(expected), found \"\(text)\"")
        }
        return date
    }

    /// A SHA-256 digest written as 64 lowercase hex digits, or nil when absent.
    static func sha256(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath
    ) throws -> String? {
        let expected = "a SHA-256 digest (64 lowercase hex digits)"
        guard let text = try string(container, key, path: path, expected: expected) else { return nil }
        guard FileDigest.isSHA256(text) else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description,
                problem: "expected \(expected), found \"\(text)\"")
        }
        return text
    }

    /// A finite number in `range`, or nil when absent; `described` says the range in words
    /// (`0…1`, `≥ 0`), as in `1.5 is out of range (0…1)`.
    static func double(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath,
        in range: ClosedRange<Double>, described: String
    ) throws -> Double? {
        guard let value = try double(container, key, path: path, expected: "a number (\(described))") else {
            return nil
        }
        guard value.isFinite, range.contains(value) else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description,
                problem: "\(value) is out of range (\(described))")
        }
        return value
    }

    /// A whole number ≥ `minimum`, or nil when absent.
    static func int(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, atLeast minimum: Int
    ) throws -> Int? {
        guard let value = try int(container, key, path: path, expected: "a whole number ≥ \(minimum)") else {
            return nil
        }
        guard value >= minimum else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description,
                problem: "\(value) is out of range (a whole number ≥ \(minimum))")
        }
        return value
    }
}

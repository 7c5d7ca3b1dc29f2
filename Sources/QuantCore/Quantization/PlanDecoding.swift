import Foundation

/// Strict reading of plan-file JSON values: each helper either returns the value (nil when the
/// field is absent) or throws a `PlanError.invalidField` that names the field and what was found.
///
/// `null` is never the same as an absent field: it is reported as a wrong value.
enum PlanDecoding {
    /// The keyed container of the object at `decoder`, or an error naming the path.
    static func object(_ decoder: Decoder, path: PlanPath) throws -> KeyedDecodingContainer<PlanKey> {
        do {
            return try decoder.container(keyedBy: PlanKey.self)
        } catch {
            if path.components.isEmpty {
                throw PlanError.malformedJSON(file: "", detail: "expected a JSON object at the top level")
            }
            throw PlanError.invalidField(file: "", path: path.description, problem: "expected an object")
        }
    }

    /// Throws for the first key (in sorted order) that is not in `known`.
    static func rejectUnknownKeys(
        _ container: KeyedDecodingContainer<PlanKey>, known: [String], path: PlanPath
    ) throws {
        let knownSet = Set(known)
        let unknown = container.allKeys.map(\.stringValue).filter { !knownSet.contains($0) }.sorted()
        if let first = unknown.first {
            throw PlanError.invalidField(
                file: "", path: path.appending(first).description,
                problem: "unknown field (known fields: \(known.joined(separator: ", ")))")
        }
    }

    /// A value of type `T`, or nil when absent; a value of another type names the path.
    static func value<T: Decodable>(
        _ type: T.Type, _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath,
        expected: String
    ) throws -> T? {
        guard container.contains(key) else { return nil }
        if let value = try? container.decode(T.self, forKey: key) { return value }
        throw wrongValue(container, key, path: path, expected: expected)
    }

    /// A whole number, or nil when absent.
    static func int(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) throws -> Int? {
        try value(Int.self, container, key, path: path, expected: expected)
    }

    /// A number, or nil when absent.
    static func double(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) throws -> Double? {
        try value(Double.self, container, key, path: path, expected: expected)
    }

    /// A number read as `Float`, or nil when absent.
    static func float(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) throws -> Float? {
        try value(Float.self, container, key, path: path, expected: expected)
    }

    /// A string, or nil when absent.
    static func string(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) throws -> String? {
        try value(String.self, container, key, path: path, expected: expected)
    }

    /// A name from a fixed list (`T`'s raw values), or nil when absent.
    static func name<T: RawRepresentable & CaseIterable>(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, what: String
    ) throws -> T? where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        let expected = "one of \(names.joined(separator: ", "))"
        guard let text = try string(container, key, path: path, expected: "a \(what) (\(expected))") else {
            return nil
        }
        guard let value = T(rawValue: text) else {
            throw PlanError.invalidField(
                file: "", path: path.appending(key.stringValue).description,
                problem: "unknown \(what) \"\(text)\" (\(expected))")
        }
        return value
    }

    /// The error for a field whose JSON value has the wrong type.
    static func wrongValue(
        _ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey, path: PlanPath, expected: String
    ) -> PlanError {
        .invalidField(
            file: "", path: path.appending(key.stringValue).description,
            problem: "expected \(expected), found \(describe(container, key))")
    }

    /// A short rendering of the JSON value at `key` for error messages: `"abc"`, `4.5`, `null`, `an object`.
    static func describe(_ container: KeyedDecodingContainer<PlanKey>, _ key: PlanKey) -> String {
        if (try? container.decodeNil(forKey: key)) == true { return "null" }
        if let value = try? container.decode(Bool.self, forKey: key) { return "\(value)" }
        if let value = try? container.decode(Int.self, forKey: key) { return "\(value)" }
        if let value = try? container.decode(Double.self, forKey: key) { return "\(value)" }
        if let value = try? container.decode(String.self, forKey: key) { return "\"\(value)\"" }
        if (try? container.nestedContainer(keyedBy: PlanKey.self, forKey: key)) != nil { return "an object" }
        if (try? container.nestedUnkeyedContainer(forKey: key)) != nil { return "a list" }
        return "an unreadable value"
    }

    /// A `PlanError` for a `DecodingError` that escaped the strict helpers (e.g. invalid JSON).
    static func planError(from error: DecodingError) -> PlanError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return .malformedJSON(file: "", detail: oneLine(detail))
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
            .keyNotFound(_, let context):
            return .invalidField(
                file: "", path: PlanPath(context.codingPath).description, problem: oneLine(context.debugDescription))
        @unknown default:
            return .malformedJSON(file: "", detail: oneLine("\(error)"))
        }
    }

    /// Where and why `data` is not JSON, e.g. `invalid JSON at line 2, column 8 (invalid value)`;
    /// nil when it is valid JSON.
    /// The deepest nesting a plan or session file may have: far beyond any real one, far below
    /// Foundation's JSON limit (512), past which its decoder traps instead of throwing.
    static let nestingLimit = 64

    /// "nested deeper than 64 levels" when `data`'s arrays and objects (outside strings) nest
    /// deeper than `nestingLimit`, else nil.
    static func nestingProblem(in data: Data) -> String? {
        var depth = 0, inString = false, escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > nestingLimit { return "invalid JSON (nested deeper than \(nestingLimit) levels)" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }

    static func syntaxProblem(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            var reason = message.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            reason = reason.prefix(1).lowercased() + reason.dropFirst()
            guard let marker = reason.range(of: " around character "),
                let offset = Int(reason[marker.upperBound...].prefix(while: \.isNumber))
            else {
                return "invalid JSON (\(oneLine(reason)))"
            }
            let before = data.prefix(max(0, min(offset, data.count)))
            let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            let column =
                before.count - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 - before.startIndex + 1 } ?? 0) + 1
            return "invalid JSON at line \(line), column \(column) (\(reason[..<marker.lowerBound]))"
        }
    }

    /// Why `url` could not be read, in a few words.
    static func readFailureReason(_ error: Error, url: URL) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            return "no such file"
        }
        if isDirectory.boolValue { return "is a directory" }
        if !FileManager.default.isReadableFile(atPath: url.path) { return "permission denied" }
        return oneLine(error.localizedDescription)
    }

    /// `text` with line breaks replaced by spaces, so errors stay on one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

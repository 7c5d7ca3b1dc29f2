/// Problems reading, checking or writing a quantization plan, each naming the file and the field.
///
/// `file` is empty while a plan is decoded without knowing its file (for example inside a
/// session file); `QuantPlan.decoded(from:file:)` and `inFile(_:)` fill it in.
public enum PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes are not JSON, or not a JSON object at the top.
    case malformedJSON(file: String, detail: String)
    /// The plan has no `version`, or one this build does not read (`found == nil`: missing).
    case unsupportedVersion(file: String, found: Int?)
    /// A field is unknown, has the wrong type, an unknown value or an out-of-range value.
    ///
    /// `path` is the field's JSON path, e.g. `layers.fc1.bits`; `problem` says what is wrong.
    case invalidField(file: String, path: String, problem: String)
    /// The plan names a layer the model does not have.
    case unknownLayer(file: String, name: String, validNames: [String])
    /// Writing the plan failed; nothing was replaced.
    case writeFailed(file: String, reason: String)

    /// One line for the user, starting with the file when it is known.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            prefixed(file, "cannot read: \(reason)")
        case .malformedJSON(let file, let detail):
            prefixed(file, "not a valid plan: \(detail)")
        case .unsupportedVersion(let file, let found?):
            prefixed(
                file, "unsupported plan version \(found) (this quantdash reads version \(QuantPlan.currentVersion))")
        case .unsupportedVersion(let file, nil):
            prefixed(file, "version: missing (this quantdash reads version \(QuantPlan.currentVersion))")
        case .invalidField(let file, let path, let problem):
            prefixed(file, "\(path): \(problem)")
        case .unknownLayer(let file, let name, let validNames):
            prefixed(
                file,
                "\(PlanPath.layer(name)): the model has no layer named \"\(Printable.name(name))\" "
                    + "(layers: \(PlanError.briefList(validNames)))")
        case .writeFailed(let file, let reason):
            prefixed(file, "cannot write: \(reason)")
        }
    }

    /// The same error attributed to `file` (used once the file a plan came from is known).
    public func inFile(_ file: String) -> PlanError {
        switch self {
        case .unreadable(_, let reason): .unreadable(file: file, reason: reason)
        case .malformedJSON(_, let detail): .malformedJSON(file: file, detail: detail)
        case .unsupportedVersion(_, let found): .unsupportedVersion(file: file, found: found)
        case .invalidField(_, let path, let problem): .invalidField(file: file, path: path, problem: problem)
        case .unknownLayer(_, let name, let validNames):
            .unknownLayer(file: file, name: name, validNames: validNames)
        case .writeFailed(_, let reason): .writeFailed(file: file, reason: reason)
        }
    }

    /// At most `limit` names joined by commas, then "… (N more)"; "none" when empty.
    static func briefList(_ names: [String], limit: Int = 8) -> String {
        guard !names.isEmpty else { return "none" }
        let shown = names.prefix(limit).map { Printable.name($0) }.joined(separator: ", ")
        return names.count > limit ? "\(shown), … (\(names.count - limit) more)" : shown
    }

    private func prefixed(_ file: String, _ message: String) -> String {
        file.isEmpty ? message : "\(file): \(message)"
    }
}

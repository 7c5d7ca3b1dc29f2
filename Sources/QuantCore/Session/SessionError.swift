/// Problems reading, checking, writing or naming session presets, each one line naming the file.
///
/// Errors inside a preset's embedded plan carry the plan's path, e.g.
/// `Sessions/mixed.json: plan.layers.fc1.bits: 17 is out of range (1…16 or "float")`.
public enum SessionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be read (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes are not JSON, or not a JSON object at the top.
    case malformedJSON(file: String, detail: String)
    /// The preset has no `version`, or one this build does not read (`found == nil`: missing).
    case unsupportedVersion(file: String, found: Int?)
    /// A field is unknown, missing, has the wrong type or an out-of-range value; `path` is its
    /// JSON path (`results.top1`, `plan.layers.fc1.bits`).
    case invalidField(file: String, path: String, problem: String)
    /// A preset name that cannot be a file name in the sessions folder.
    case invalidName(name: String, problem: String)
    /// Saving would replace an existing preset and overwriting was not asked for.
    case exists(file: String, name: String)
    /// No preset of that name is saved.
    case notFound(file: String, name: String)
    /// Writing or deleting failed; an existing file was left as it was.
    case writeFailed(file: String, reason: String)

    /// One line for the user, starting with the file when there is one.
    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "\(file): cannot read: \(reason)"
        case .malformedJSON(let file, let detail):
            "\(file): not a valid session: \(detail)"
        case .unsupportedVersion(let file, let found?):
            "\(file): unsupported session version \(found) (this quantdash reads version \(SessionPreset.currentVersion))"
        case .unsupportedVersion(let file, nil):
            "\(file): version: missing (this quantdash reads version \(SessionPreset.currentVersion))"
        case .invalidField(let file, let path, let problem):
            "\(file): \(path): \(problem)"
        case .invalidName(let name, let problem):
            "invalid preset name \"\(name)\": \(problem)"
        case .exists(let file, let name):
            "\(file): a preset named \"\(name)\" already exists (save with overwrite to replace it)"
        case .notFound(let file, let name):
            "\(file): no preset named \"\(name)\""
        case .writeFailed(let file, let reason):
            "\(file): cannot write: \(reason)"
        }
    }

    /// The session error for a `PlanError` raised while decoding a session file.
    ///
    /// Paths are kept as they are (the embedded plan's fields already start with `plan.`); a
    /// bad embedded plan version becomes an error at `plan.version`.
    static func from(_ error: PlanError, file: String) -> SessionError {
        switch error {
        case .unreadable(_, let reason): .unreadable(file: file, reason: reason)
        case .malformedJSON(_, let detail): .malformedJSON(file: file, detail: detail)
        case .unsupportedVersion(_, let found?):
            .invalidField(
                file: file, path: "plan.version",
                problem: "unsupported plan version \(found) (this quantdash reads version \(QuantPlan.currentVersion))")
        case .unsupportedVersion(_, nil):
            .invalidField(
                file: file, path: "plan.version",
                problem: "missing (this quantdash reads version \(QuantPlan.currentVersion))")
        case .invalidField(_, let path, let problem): .invalidField(file: file, path: path, problem: problem)
        case .unknownLayer(_, let name, let validNames):
            .invalidField(
                file: file, path: "plan.\(PlanPath.layer(name))",
                problem: "the model has no layer named \"\(name)\" (layers: \(PlanError.briefList(validNames)))")
        case .writeFailed(_, let reason): .writeFailed(file: file, reason: reason)
        }
    }

    /// The same error attributed to `file`.
    func inFile(_ file: String) -> SessionError {
        switch self {
        case .unreadable(_, let reason): .unreadable(file: file, reason: reason)
        case .malformedJSON(_, let detail): .malformedJSON(file: file, detail: detail)
        case .unsupportedVersion(_, let found): .unsupportedVersion(file: file, found: found)
        case .invalidField(_, let path, let problem): .invalidField(file: file, path: path, problem: problem)
        case .invalidName: self
        case .exists(_, let name): .exists(file: file, name: name)
        case .notFound(_, let name): .notFound(file: file, name: name)
        case .writeFailed(_, let reason): .writeFailed(file: file, reason: reason)
        }
    }
}

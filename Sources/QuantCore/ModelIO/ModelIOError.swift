/// Problems reading or writing a model or data file, each naming the file.
public enum ModelIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be opened or read (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The bytes do not form a valid file of the expected format; `detail` says what and where.
    case malformed(path: String, detail: String)
    /// The model uses an operator the engine does not implement.
    case unsupportedOperator(path: String, op: String, node: String)
    /// The model uses several operators the engine does not implement: each entry names one
    /// operator type and where it is used (`"Einsum (node 'e1')"`, `"Loop (3 nodes, first 'l')"`).
    case unsupportedOperators(path: String, operators: [String])
    /// A tensor has an element type the engine does not read.
    case unsupportedDataType(path: String, tensor: String, dataType: String)
    /// The model is well-formed but its graph is not usable.
    case invalidGraph(path: String, GraphError)
    /// The model and the data set do not fit together.
    case incompatible(path: String, detail: String)
    /// Writing failed; nothing was replaced.
    case writeFailed(path: String, reason: String)
    /// An export would replace an existing file and overwriting was not asked for.
    case exists(path: String)

    /// One line for the user, starting with the file.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .malformed(let path, let detail): "\(path): \(detail)"
        case .unsupportedOperator(let path, let op, let node):
            "\(path): unsupported operator \(Printable.name(op)) (node '\(Printable.name(node))')"
        case .unsupportedOperators(let path, let operators):
            "\(path): \(operators.count) unsupported operators: \(operators.map { Printable.name($0) }.joined(separator: ", "))"
        case .unsupportedDataType(let path, let tensor, let dataType):
            "\(path): tensor '\(Printable.name(tensor))' has unsupported data type \(dataType)"
        case .invalidGraph(let path, let error): "\(path): \(error.description)"
        case .incompatible(let path, let detail): "\(path): \(detail)"
        case .writeFailed(let path, let reason): "\(path): cannot write: \(reason)"
        case .exists(let path): "\(path): already exists (not overwritten)"
        }
    }
}

/// Why a model or plan cannot be fine-tuned; each a single line naming the file.
public enum FineTuningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A node the trainer has no forward/backward pass for (the first one in graph order).
    case unsupportedNode(file: String, node: String, op: String, problem: String)
    /// The graph as a whole does not fit (inputs, outputs, shapes).
    case unsupportedGraph(file: String, problem: String)
    /// The training data does not fit the model.
    case unsuitableData(file: String, problem: String)
    /// An option is out of range.
    case invalidOption(name: String, value: String)

    /// One line for the user.
    public var description: String {
        switch self {
        case .unsupportedNode(let file, let node, let op, let problem):
            "\(file): cannot fine-tune node '\(Printable.name(node))' (\(op)): \(problem)"
        case .unsupportedGraph(let file, let problem):
            "\(file): cannot fine-tune this model: \(problem)"
        case .unsuitableData(let file, let problem):
            "\(file): \(problem)"
        case .invalidOption(let name, let value):
            "invalid \(name): \(value)"
        }
    }
}

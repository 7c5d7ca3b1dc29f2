/// Problems with a graph's structure or with executing it, each naming the node involved.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A node reads a value that no node, input or initializer provides.
    case unknownValue(node: String, value: String)
    /// Two producers (nodes, inputs or initializers) define the same value name.
    case duplicateValue(String)
    /// The nodes cannot be ordered: they depend on each other in a cycle.
    case cycle(nodes: [String])
    /// A graph input was not supplied when running.
    case missingInput(String)
    /// A graph output is never produced.
    case missingOutput(String)
    /// Operand shapes do not fit the operator.
    case shapeMismatch(node: String, op: String, detail: String)
    /// An attribute value is out of range or inconsistent.
    case invalidAttribute(node: String, op: String, detail: String)
    /// The operator is known but this configuration of it is not supported.
    case unsupported(node: String, op: String, detail: String)

    /// One line for the user.
    public var description: String {
        switch self {
        case .unknownValue(let node, let value):
            "node '\(Printable.name(node))' reads '\(Printable.name(value))', which nothing produces"
        case .duplicateValue(let name): "value '\(Printable.name(name))' is produced more than once"
        case .cycle(let nodes):
            "the graph has a cycle through nodes \(nodes.prefix(5).map { "'\(Printable.name($0))'" }.joined(separator: ", "))"
        case .missingInput(let name): "graph input '\(Printable.name(name))' was not provided"
        case .missingOutput(let name): "graph output '\(Printable.name(name))' is never produced"
        case .shapeMismatch(let node, let op, let detail):
            "\(Printable.name(op)) node '\(Printable.name(node))': shape mismatch: \(detail)"
        case .invalidAttribute(let node, let op, let detail):
            "\(Printable.name(op)) node '\(Printable.name(node))': invalid attribute: \(detail)"
        case .unsupported(let node, let op, let detail):
            "\(Printable.name(op)) node '\(Printable.name(node))': not supported: \(detail)"
        }
    }
}

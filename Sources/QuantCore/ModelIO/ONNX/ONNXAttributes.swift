import Foundation

/// Typed, by-name access to a node's ONNX attributes, with errors naming the file and node.
///
/// An attribute given with the wrong type (e.g. `group` as a float) is an
/// `invalidAttribute` error. Files from old exporters may omit `AttributeProto.type`; then the
/// field that is set decides.
struct ONNXAttributes {
    /// The file, for errors.
    let path: String
    /// The node's display name, for errors.
    let node: String
    /// The node's `op_type`, for errors.
    let op: String
    private let byName: [String: Onnx_AttributeProto]

    /// Indexes `attributes` by name (the last one wins on duplicates).
    init(_ attributes: [Onnx_AttributeProto], path: String, node: String, op: String) {
        self.path = path
        self.node = node
        self.op = op
        var byName: [String: Onnx_AttributeProto] = [:]
        for attribute in attributes { byName[attribute.name] = attribute }
        self.byName = byName
    }

    /// Whether the attribute is present.
    func contains(_ name: String) -> Bool { byName[name] != nil }

    /// An `INT` attribute, or nil when absent.
    func int(_ name: String) throws -> Int? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .int || (!attribute.hasType && attribute.hasI) else {
            throw wrongType(name, "an integer")
        }
        return Int(truncatingIfNeeded: attribute.i)
    }

    /// An `INT` attribute read as a Boolean (non-zero is true), or nil when absent.
    func flag(_ name: String) throws -> Bool? {
        try int(name).map { $0 != 0 }
    }

    /// An `INTS` attribute, or nil when absent.
    func ints(_ name: String) throws -> [Int]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .ints || !attribute.hasType else { throw wrongType(name, "a list of integers") }
        return attribute.ints.map { Int(truncatingIfNeeded: $0) }
    }

    /// A `FLOAT` attribute, or nil when absent.
    func float(_ name: String) throws -> Float? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .float || (!attribute.hasType && attribute.hasF) else {
            throw wrongType(name, "a float")
        }
        return attribute.f
    }

    /// A `FLOATS` attribute, or nil when absent.
    func floats(_ name: String) throws -> [Float]? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .floats || !attribute.hasType else { throw wrongType(name, "a list of floats") }
        return attribute.floats
    }

    /// A `STRING` attribute decoded as UTF-8, or nil when absent.
    func string(_ name: String) throws -> String? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .string || (!attribute.hasType && attribute.hasS),
            let text = String(data: attribute.s, encoding: .utf8)
        else { throw wrongType(name, "a UTF-8 string") }
        return text
    }

    /// A `TENSOR` attribute, or nil when absent.
    func tensor(_ name: String) throws -> Onnx_TensorProto? {
        guard let attribute = byName[name] else { return nil }
        guard attribute.type == .tensor || (!attribute.hasType && attribute.hasT) else {
            throw wrongType(name, "a tensor")
        }
        return attribute.t
    }

    /// The `auto_pad` attribute (default `NOTSET`).
    func autoPad() throws -> AutoPad {
        guard let text = try string("auto_pad") else { return .notSet }
        guard let value = AutoPad(rawValue: text) else {
            throw invalid("auto_pad '\(text)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        return value
    }

    /// An `invalidAttribute` error for this node.
    func invalid(_ detail: String) -> ModelIOError {
        .invalidGraph(path: path, .invalidAttribute(node: node, op: op, detail: detail))
    }

    /// An `unsupported` error for this node: a known operator in a configuration the engine lacks.
    func unsupported(_ detail: String) -> ModelIOError {
        .invalidGraph(path: path, .unsupported(node: node, op: op, detail: detail))
    }

    private func wrongType(_ name: String, _ expected: String) -> ModelIOError {
        invalid("attribute '\(name)' should be \(expected)")
    }
}

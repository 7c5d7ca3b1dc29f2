import Foundation
import SwiftProtobuf

/// One tensor stored on its own as a serialized `onnx.TensorProto` (`.pb`).
///
/// ONNX's backend test cases store their inputs and expected outputs this way
/// (`test_data_set_0/input_0.pb`, `output_0.pb`).
public struct ONNXTensorFile: Sendable, Equatable {
    /// The tensor's name (often the graph input or output it belongs to; may be empty).
    public var name: String
    /// The values, converted to `Float`.
    public var tensor: Tensor
    /// The element type in the file.
    public var elementType: ElementType

    /// Creates a named tensor.
    public init(name: String, tensor: Tensor, elementType: ElementType = .float32) {
        self.name = name
        self.tensor = tensor
        self.elementType = elementType
    }

    /// Reads the tensor file at `url`.
    ///
    /// - Throws: `ModelIOError` naming the file: `.unreadable`, `.malformed`, `.unsupportedDataType`.
    public static func load(contentsOf url: URL) throws -> ONNXTensorFile {
        try decode(ONNXModel.readFile(at: url), source: url.path)
    }

    /// Decodes a serialized `TensorProto`; `source` names it in errors.
    ///
    /// - Throws: `ModelIOError.malformed` or `.unsupportedDataType`.
    public static func decode(_ data: Data, source: String) throws -> ONNXTensorFile {
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: data)
        } catch {
            throw ModelIOError.malformed(
                path: source, detail: "not a valid ONNX tensor (protobuf decoding failed: \(error))")
        }
        guard proto.hasDataType else {
            throw ModelIOError.malformed(path: source, detail: "not a valid ONNX tensor (no data type)")
        }
        let (tensor, type) = try ONNXTensorCoding.tensor(from: proto, path: source)
        return ONNXTensorFile(name: proto.name, tensor: tensor, elementType: type)
    }

    /// The tensor serialized as a `TensorProto` with little-endian `raw_data`.
    ///
    /// - Throws: `ModelIOError.writeFailed` when an integer element type gets a non-integer.
    public func encoded() throws -> Data {
        try encoded(path: name.isEmpty ? "tensor" : name)
    }

    /// Writes the tensor file to `url` atomically.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file.
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(path: url.path), to: url)
    }

    private func encoded(path: String) throws -> Data {
        let proto = try ONNXTensorCoding.proto(from: tensor, name: name, elementType: elementType, path: path)
        do {
            return try proto.serializedBytes()
        } catch {
            throw ModelIOError.writeFailed(path: path, reason: "protobuf encoding failed: \(error)")
        }
    }
}

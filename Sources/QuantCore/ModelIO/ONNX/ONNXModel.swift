import Foundation
import SwiftProtobuf

/// Reads and writes ONNX model files (`.onnx`, a serialized `onnx.ModelProto`).
///
/// Reading converts the supported operators (see `Operator`) with their attributes, ONNX
/// defaults filled in for the file's opset, and returns a validated graph whose nodes are
/// topologically sorted. Old-opset differences handled:
/// - weights listed as graph inputs (IR < 4) are initializers only;
/// - Clip before opset 11 keeps its bounds as attributes (`Operator.clip(min:max:)`);
/// - Reshape before opset 5, Pad before 11 and Squeeze/Unsqueeze before 13 get their
///   attribute operands (`shape`; `pads`/`value`; `axes`) as initializer inputs;
/// - ReduceMean from opset 18 gets its constant `axes` input folded into the operator;
/// - Softmax/LogSoftmax before opset 13 (normalize over the input flattened to 2-D at `axis`)
///   become `flattenedSoftmax`/`flattenedLogSoftmax`, or the single-axis operator when `axis`
///   is the input's last axis, where both meanings agree;
/// - PRelu before opset 7 with a 1-D slope of C values has one slope per channel (axis 1):
///   the slope initializer is reshaped to `[C, 1, …]`;
/// - Add/Sub/Mul/Div before opset 7 with `broadcast`/`axis` are accepted only where they equal
///   NumPy broadcasting.
///
/// Tensors kept in side files (`data_location = EXTERNAL`) are read from the model's folder only
/// (`ONNXExternalData`); initializers holding NaN or ±∞ are refused, naming the initializer.
///
/// Writing produces IR version 8 with opset 13 (see `ONNXGraphWriter` for the exceptions),
/// `producer_name` "quantdash", initializers as little-endian `raw_data` in their original
/// element type, and the graph's metadata as `metadata_props`.
public enum ONNXModel {
    /// The graph stored in the ONNX file at `url`.
    ///
    /// - Throws: `ModelIOError` naming the file: `.unreadable`, `.malformed` (not a model,
    ///   inconsistent tensor data, external data outside the model's folder or beyond its file,
    ///   a NaN or infinite initializer), `.unsupportedOperator`,
    ///   `.unsupportedDataType`, or `.invalidGraph` (dangling references, cycles, bad or
    ///   unsupported attributes).
    ///   - progress: reports reading the file (MiB) and decoding its weights (tensors).
    public static func load(contentsOf url: URL, progress: LoadProgress? = nil) throws -> Graph {
        let data = try readFile(at: url, progress: progress)
        return try decode(data, source: url.path, folder: url.deletingLastPathComponent(), progress: progress)
    }

    /// The graph stored in `data`, a serialized `ModelProto`; `source` names it in errors.
    ///
    /// Tensors kept in side files (`data_location = EXTERNAL`) are read from `folder`, never
    /// outside it (see `ONNXExternalData`); with `folder` `nil` they are refused.
    ///
    /// - Throws: `ModelIOError` as for `load(contentsOf:)`.
    public static func decode(
        _ data: Data, source: String, folder: URL? = nil, progress: LoadProgress? = nil
    ) throws -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ModelIOError.malformed(
                path: source, detail: "not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        return try ONNXGraphReader.graph(from: model, path: source, folder: folder, progress: progress)
    }

    /// `graph` serialized as an ONNX `ModelProto`.
    ///
    /// - Throws: `ModelIOError.writeFailed` when an integer-typed tensor holds a non-integer.
    public static func encode(_ graph: Graph) throws -> Data {
        try encode(graph, path: graph.name.isEmpty ? "model" : graph.name)
    }

    /// Writes `graph` to `url` atomically (temporary file, fsync, rename).
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file; an existing file is left untouched.
    public static func write(_ graph: Graph, to url: URL) throws {
        try AtomicFile.write(encode(graph, path: url.path), to: url)
    }

    private static func encode(_ graph: Graph, path: String) throws -> Data {
        let model = try ONNXGraphWriter.model(from: graph, path: path)
        do {
            return try model.serializedBytes()
        } catch {
            throw ModelIOError.writeFailed(path: path, reason: "protobuf encoding failed: \(error)")
        }
    }

    /// The bytes of the file at `url`.
    ///
    /// - Throws: `ModelIOError.unreadable` with a short reason (missing, a folder, no access).
    static func readFile(at url: URL, progress: LoadProgress? = nil) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelIOError.unreadable(path: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw ModelIOError.unreadable(path: url.path, reason: "it is a folder, not a file")
        }
        do {
            guard let progress else { return try Data(contentsOf: url) }
            return try readInChunks(url, progress: progress)
        } catch {
            throw ModelIOError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Bytes read per progress report.
    static let progressChunkByteCount = 8 << 20

    /// The file's bytes, read in chunks with `progress` after each.
    private static func readInChunks(_ url: URL, progress: LoadProgress) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        let report = progress.phase(.readingModel, total: LoadProgress.mebibytes(size))
        var data = Data(capacity: size)
        report(0)
        while let chunk = try handle.read(upToCount: progressChunkByteCount), !chunk.isEmpty {
            data.append(chunk)
            report(LoadProgress.mebibytes(data.count))
        }
        return data
    }
}

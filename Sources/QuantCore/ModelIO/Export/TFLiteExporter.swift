import Foundation

/// What a `tflite` export wrote.
public struct TFLiteExport: Sendable {
    /// How the arithmetic is stored in the file.
    public enum Format: String, Sendable {
        /// float32 weights (the plan's weights dequantized) and float32 arithmetic; quantized
        /// activations as QUANTIZE → DEQUANTIZE pairs.
        case float = "float32 with dequantized weights"
    }

    /// The model written.
    public var model: TFLiteModel
    /// The file's bytes.
    public var bytes: [UInt8]
    /// The file's size.
    public var byteCount: Int { bytes.count }
    /// What kind of model it is.
    public var format: Format
    /// Activations fake-quantized in the file (ONNX value names).
    public var fakeQuantizedActivations: [String]
}

/// The `tflite` export: the model with a plan applied, as a TensorFlow Lite flatbuffer.
///
/// Written today: a **float** model whose weights are the plan's weights dequantized (so the
/// file predicts what `quantdash eval --plan` reports), with quantized activations as
/// QUANTIZE → DEQUANTIZE pairs (int8/uint8/int16 with the calibrated scale; narrower widths are
/// clamped to their range first). Full-integer int8 (int8 weights and activations, int32 biases)
/// is not written yet.
///
/// Layout: TFLite's CONV_2D and pooling work in NHWC with OHWI filters; the converter stores
/// image values that way inside the model, but the input keeps the ONNX model's shape and order
/// (`[N, 1, 28, 28]`, NCHW, for the demo models: the same data `quantdash eval` reads), with a
/// leading RESHAPE (one channel) or TRANSPOSE to NHWC, and outputs keep theirs. The batch is 1 in
/// the shapes and −1 in the shape signature, so `resize_tensor_input` runs batches.
///
/// Operators: Conv 2-D (group 1; ONNX pads become SAME, VALID or a PAD), Gemm and MatMul with a
/// constant weight (FULLY_CONNECTED; α and β folded into the weights and bias), Relu (fused into
/// the Conv or Gemm before it where nothing else reads that output) and Clip(0, 6) (RELU6),
/// MaxPool / AveragePool 2-D (VALID or SAME), Flatten, Reshape, Softmax over the last axis,
/// Identity, Dropout. Anything else is refused with a one-line error naming the operator, and
/// nothing is written.
///
/// Metadata (`Model.metadata`): `quantdash.plan` (plan JSON), `quantdash.format`, and the model
/// and data SHA-256 when known.
public enum TFLiteExporter {
    /// Applies `plan` with `workbench` and writes the `.tflite` file to `url` atomically.
    ///
    /// - Throws: `ModelIOError.exists` when `url` exists and `overwrite` is false (checked first),
    ///   `.incompatible` for what TFLite cannot express, `.writeFailed`; `PlanError` and the
    ///   errors of `Workbench.apply`.
    @discardableResult
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, model: FileReference? = nil, data: FileReference? = nil,
        to url: URL, overwrite: Bool = false
    ) throws -> TFLiteExport {
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
        let quantized = try workbench.apply(plan)
        // Filters removed by structured pruning are cut out, as in the QDQ and C exports.
        let removed = FilterRemoval.applying(quantized.filterRemovals, to: workbench.graph, model: quantized)
        let export = try convert(
            removed.graph, quantized: removed.model, model: model, data: data, path: url.relativePath)
        try AtomicFile.write(Data(export.bytes), to: url)
        return export
    }

    /// The TFLite model of `graph` with `quantized` applied (see the type's documentation).
    ///
    /// - Throws: `ModelIOError.incompatible` naming `path` and the first operator or layout the
    ///   export cannot express.
    public static func convert(
        _ graph: Graph, quantized: QuantizedModel, model: FileReference? = nil, data: FileReference? = nil,
        path: String
    ) throws -> TFLiteExport {
        var converter: TFLiteConverter
        do {
            converter = try TFLiteConverter(graph: graph, quantized: quantized, path: path)
        } catch let error as GraphError {
            throw ModelIOError.incompatible(path: path, detail: "TFLite export: \(error)")
        }
        var result = try converter.convert()
        let format = TFLiteExport.Format.float
        result.description = "quantdash \(format.rawValue) export of \(graph.name)"
        let planJSON: Data
        do {
            planJSON = try quantized.plan.encoded()
        } catch {
            throw ModelIOError.writeFailed(path: path, reason: "the plan cannot be encoded: \(error)")
        }
        result.metadata.append(("quantdash.plan", String(decoding: planJSON, as: UTF8.self)))
        result.metadata.append(("quantdash.format", format.rawValue))
        if let model { result.metadata.append(("quantdash.model_sha256", model.sha256)) }
        if let data { result.metadata.append(("quantdash.data_sha256", data.sha256)) }
        return TFLiteExport(
            model: result, bytes: result.serialized(), format: format,
            fakeQuantizedActivations: converter.fakeQuantized)
    }
}

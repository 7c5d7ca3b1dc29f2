import Foundation

/// What a `tflite` export wrote.
public struct TFLiteExport: Sendable {
    /// How the arithmetic is stored in the file.
    public enum Format: String, Sendable {
        /// int8 weights (per channel, zero point 0) and int8 activations with the calibrated
        /// scales, int32 biases; float input and output with QUANTIZE / DEQUANTIZE at the ends.
        case int8 = "full-integer int8"
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
    /// Why this form: for `.float`, why the plan has no full-integer form (one line).
    public var reason: String
    /// Activations fake-quantized in the file (ONNX value names; float form only).
    public var fakeQuantizedActivations: [String]
}

/// The `tflite` export: the model with a plan applied, as a TensorFlow Lite flatbuffer.
///
/// Two forms, and the export says which it wrote and why:
///
/// - **Full-integer int8** for a plan `eval --integer` can run (8-bit symmetric weights per
///   channel or per tensor and 8-bit activations on every layer): the file is built from that
///   `IntegerModel` (`Workbench.integerModel(for:)`), so it runs the same arithmetic: int8
///   weights with per-channel scales (`quantized_dimension` 0, or 3 for DEPTHWISE_CONV_2D) and
///   zero point 0, int32 biases with scale `s_x · s_w` per channel, int8 activations with the
///   calibrated scales (uint8 ones stored as int8 with zero point − 128), ReLU / ReLU6 fused where
///   the lowering folded them. CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D,
///   AVERAGE_POOL_2D, ADD, RESHAPE (and TRANSPOSE / PAD for layout and explicit pads). The input
///   and output stay float32, with QUANTIZE after the input and DEQUANTIZE before the output.
///   With `integerIO` the input and output tensors are int8 instead (the caller quantizes with
///   the input tensor's scale and zero point).
///   TFLite requantizes in fixed point (and ADD rescales the sum to int8), so a code can differ
///   from `eval --integer` where a value falls on a rounding tie.
/// - **Float** otherwise (or when the integer model has a step TFLite's int8 kernels cannot
///   express, e.g. a grouped convolution): weights are the plan's weights dequantized (so the
///   file predicts what `quantdash eval --plan` reports), with quantized activations as
///   QUANTIZE → DEQUANTIZE pairs (int8/uint8/int16 with the calibrated scale; narrower widths are
///   clamped to their range first).
///
/// Layout: TFLite's CONV_2D and pooling work in NHWC with OHWI filters; the converter stores
/// image values that way inside the model, but the input keeps the ONNX model's shape and order
/// (`[N, 1, 28, 28]`, NCHW, for the demo models: the same data `quantdash eval` reads), with a
/// leading RESHAPE (one channel) or TRANSPOSE to NHWC, and outputs keep theirs. The batch is 1 in
/// the shapes and −1 in the shape signature, so `resize_tensor_input` runs batches.
///
/// Operators (float form; the table is in docs/tflite-export.md): Conv 2-D (group 1, depthwise,
/// or grouped as SPLIT → CONV_2D per group → CONCATENATION; ONNX pads become SAME, VALID or a PAD),
/// Gemm and MatMul with a constant weight (FULLY_CONNECTED; α and β folded into the weights and
/// bias), Relu (fused into the Conv or Gemm before it where nothing else reads that output), Clip
/// with attribute or constant bounds, Sigmoid, Tanh, LeakyRelu, HardSwish, HardSigmoid (MUL, ADD,
/// MAXIMUM, MINIMUM), Add/Sub/Mul/Div (two 4-D values broadcast in NHWC), Sum/Max/Min/Mean, BatchNormalization (MUL + ADD), Concat, MaxPool / AveragePool 2-D (pads
/// SAME cannot express: PADV2 / PAD first; ceil mode as grown end pads), global pooling and a spatial ReduceMean, LRN, Flatten, Reshape, Softmax,
/// Identity, Dropout, Constant. Anything else is refused with a one-line error naming the
/// operator, and nothing is written.
///
/// Metadata (`Model.metadata`): `quantdash.plan` (plan JSON), `quantdash.format` (the form's
/// name), `quantdash.format_reason`, and the model and data SHA-256 when known.
public enum TFLiteExporter {
    /// Applies `plan` with `workbench` and writes the `.tflite` file to `url` atomically: the
    /// int8 form when the plan has one (with int8 input and output tensors when `integerIO`),
    /// else the float form.
    ///
    /// - Throws: `ModelIOError.exists` when `url` exists and `overwrite` is false (checked first),
    ///   `.incompatible` for what TFLite cannot express (and for `integerIO` without an int8
    ///   form), `.writeFailed`; `PlanError` and the errors of `Workbench.apply`.
    @discardableResult
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, model: FileReference? = nil, data: FileReference? = nil,
        to url: URL, overwrite: Bool = false, integerIO: Bool = false
    ) throws -> TFLiteExport {
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
        let path = url.relativePath
        let reason: String
        do {
            let (quantized, integer) = try workbench.integerModel(for: plan)
            guard quantized.filterRemovals.isEmpty else {
                throw IntegerLoweringError(
                    "structured pruning removes filters, which only the float form cuts out of the file")
            }
            let export = try convert(
                workbench.graph, quantized: quantized, integer: integer, model: model, data: data, path: path,
                integerIO: integerIO)
            try AtomicFile.write(Data(export.bytes), to: url)
            return export
        } catch let refusal as IntegerLoweringError {
            reason = "no full-integer form: \(refusal.description)"
        } catch ModelIOError.incompatible(_, let detail) {
            reason = "no full-integer form: \(detail)"
        }
        if integerIO {
            throw ModelIOError.incompatible(
                path: path, detail: "int8 input and output need a full-integer model; \(reason)")
        }
        let export: TFLiteExport
        do {
            let quantized = try workbench.apply(plan)
            // Filters removed by structured pruning are cut out, as in the QDQ and C exports.
            let removed = FilterRemoval.applying(quantized.filterRemovals, to: workbench.graph, model: quantized)
            export = try convert(
                removed.graph, quantized: removed.model, model: model, data: data, path: path, reason: reason)
        } catch ModelIOError.incompatible(let path, let detail) {
            throw ModelIOError.incompatible(path: path, detail: "\(detail) (and \(reason))")
        }
        try AtomicFile.write(Data(export.bytes), to: url)
        return export
    }

    /// The float TFLite model of `graph` with `quantized` applied (see the type's documentation);
    /// `reason` says why it is not the int8 form.
    ///
    /// - Throws: `ModelIOError.incompatible` naming `path` and the first operator or layout the
    ///   export cannot express.
    public static func convert(
        _ graph: Graph, quantized: QuantizedModel, model: FileReference? = nil, data: FileReference? = nil,
        path: String, reason: String = "float requested"
    ) throws -> TFLiteExport {
        var converter = try converter(graph, quantized: quantized, path: path)
        let result = try converter.convert()
        return try finish(
            result, format: .float, reason: reason, graph: graph, quantized: quantized, model: model, data: data,
            path: path, fakeQuantized: converter.fakeQuantized)
    }

    /// The full-integer int8 TFLite model of `integer`, the integer form of `graph` with
    /// `quantized` applied.
    ///
    /// - Throws: `ModelIOError.incompatible` naming `path` and the first step TFLite's int8
    ///   kernels cannot express.
    public static func convert(
        _ graph: Graph, quantized: QuantizedModel, integer: IntegerModel, model: FileReference? = nil,
        data: FileReference? = nil, path: String, integerIO: Bool = false
    ) throws -> TFLiteExport {
        var converter = try converter(graph, quantized: quantized, path: path)
        var weightScales: [String: [Float]] = [:]
        for report in quantized.layerReports {
            if let weights = report.quantized { weightScales[report.layer.name] = weights.scales }
        }
        let result = try converter.convert(integer, weightScales: weightScales, integerIO: integerIO)
        let io = integerIO ? "int8 input and output" : "float input and output"
        return try finish(
            result, format: .int8,
            reason:
                "every layer has 8-bit symmetric weights and 8-bit activations (the model eval --integer runs); \(io)",
            graph: graph, quantized: quantized, model: model, data: data, path: path, fakeQuantized: [])
    }

    private static func converter(_ graph: Graph, quantized: QuantizedModel, path: String) throws -> TFLiteConverter {
        do {
            return try TFLiteConverter(graph: graph, quantized: quantized, path: path)
        } catch let error as GraphError {
            throw ModelIOError.incompatible(path: path, detail: "TFLite export: \(error)")
        }
    }

    /// Description, metadata and bytes.
    private static func finish(
        _ converted: TFLiteModel, format: TFLiteExport.Format, reason: String, graph: Graph,
        quantized: QuantizedModel, model: FileReference?, data: FileReference?, path: String, fakeQuantized: [String]
    ) throws -> TFLiteExport {
        var result = converted
        result.description = "quantdash \(format.rawValue) export of \(graph.name)"
        let planJSON: Data
        do {
            planJSON = try quantized.plan.encoded()
        } catch {
            throw ModelIOError.writeFailed(path: path, reason: "the plan cannot be encoded: \(error)")
        }
        result.metadata.append(("quantdash.plan", String(decoding: planJSON, as: UTF8.self)))
        result.metadata.append(("quantdash.format", format.rawValue))
        result.metadata.append(("quantdash.format_reason", reason))
        if let model { result.metadata.append(("quantdash.model_sha256", model.sha256)) }
        if let data { result.metadata.append(("quantdash.data_sha256", data.sha256)) }
        return TFLiteExport(
            model: result, bytes: result.serialized(), format: format, reason: reason,
            fakeQuantizedActivations: fakeQuantized)
    }
}

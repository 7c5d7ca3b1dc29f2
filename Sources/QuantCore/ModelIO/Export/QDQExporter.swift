import Foundation

/// The `onnx` export: the float model rewritten in ONNX's QDQ form, so that onnxruntime (or
/// any ONNX runtime) computes what `Workbench.evaluate` reports for the plan.
///
/// - A layer whose weights ONNX can express (affine schemes, per-tensor or per-channel) keeps
///   its integer codes as an initializer (int4/uint4 up to 4 bits, packed two per byte, and
///   int16/uint16 for 9–16 bits, both opset 21; int8/uint8 for 5–8 bits) feeding a `DequantizeLinear` (scalar scale/zero point, or 1-D with `axis` = the
///   output-channel axis) whose output replaces the weight input. Codes, scales and zero points
///   are those of `QuantizedWeights`, which follow ONNX semantics, so the decoded weights match
///   bit for bit (checked per weight; pruned weights decode to exactly 0).
/// - Other layers (power-of-two, k-means, FP8, NF4, binary, ternary, per-group blocks) keep their
///   *dequantized* weights as float initializers and are listed in `metadata_props` under
///   `quantdash.float_fallback_layers`.
/// - Each quantized activation `v` becomes `producer → v_float → QuantizeLinear →
///   DequantizeLinear → v`, so consumers and graph outputs are unchanged; widths other than 8
///   and 16 bits add a `Clip` to the code range, which the integer type alone would not enforce.
///
/// - Filters removed by structured pruning (`"prune": {"filters": s}`) are cut out of the
///   written model (`FilterRemoval.applying`): the layer has `C_out − k` filters and its
///   consumers the matching fewer inputs, so the file is smaller and computes the same outputs.
///
/// Metadata: `quantdash.plan` (plan JSON), `quantdash.weight_storage` (one entry per layer),
/// `quantdash.float_fallback_layers` (comma-separated, possibly empty), and the model and data
/// SHA-256 when known.
public enum QDQExporter {
    /// Metadata key listing layers stored as dequantized float weights.
    public static let fallbackLayersKey = "quantdash.float_fallback_layers"
    /// Metadata key holding the plan JSON.
    public static let planKey = "quantdash.plan"
    /// Metadata key describing how each layer's weight is stored (`fc1=int8 per-channel axis 0; …`).
    public static let weightStorageKey = "quantdash.weight_storage"

    /// Applies `plan` with `workbench` and writes the QDQ model to `url` atomically; returns the graph written.
    ///
    /// - Throws: `ModelIOError.exists` when `url` exists and `overwrite` is false (checked first),
    ///   `.writeFailed`; `PlanError`, `QuantizationError` and the errors of `Workbench.apply`.
    @discardableResult
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, model: FileReference? = nil, data: FileReference? = nil,
        to url: URL, overwrite: Bool = false
    ) throws -> Graph {
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
        let quantized = try workbench.apply(plan)
        let removed = FilterRemoval.applying(quantized.filterRemovals, to: workbench.graph, model: quantized)
        let graph = try qdqGraph(from: removed.graph, quantized: removed.model, model: model, data: data)
        do {
            try ONNXModel.write(graph, to: url)
        } catch let ModelIOError.writeFailed(_, reason) {
            throw ModelIOError.writeFailed(path: url.relativePath, reason: reason)
        }
        return graph
    }

    /// The QDQ form of `graph` with `quantized` applied (see the type's documentation).
    ///
    /// - Throws: `ModelIOError.writeFailed` when the plan cannot be encoded as JSON.
    public static func qdqGraph(
        from graph: Graph, quantized: QuantizedModel, model: FileReference? = nil, data: FileReference? = nil
    ) throws -> Graph {
        var builder = QDQGraphBuilder(graph)
        var fallbacks: [String] = []
        var storage: [String] = []
        for report in quantized.layerReports {
            if let biasName = report.layer.biasName, let corrected = quantized.weightOverrides[biasName] {
                builder.graph.initializers[biasName] = corrected  // bias correction, equalization
            }
            guard let weights = report.quantized else {
                if let equalized = quantized.weightOverrides[report.layer.weightName] {
                    builder.graph.initializers[report.layer.weightName] = equalized  // float, equalized
                }
                storage.append("\(report.layer.name)=float")
                continue
            }
            if let encoding = QDQWeightEncoding(weights) {
                builder.dequantizeWeight(of: report.layer, codes: weights, encoding: encoding)
                storage.append("\(report.layer.name)=\(encoding.label)")
            } else {
                builder.graph.initializers[report.layer.weightName] = weights.tensor
                fallbacks.append(report.layer.name)
                storage.append("\(report.layer.name)=float (dequantized \(weights.settings.scheme.rawValue))")
            }
        }
        for value in quantized.activationQuantization.keys.sorted() {
            guard let parameters = quantized.activationQuantization[value] else { continue }
            builder.fakeQuantize(value, with: parameters)
        }
        var result = builder.finished()
        let planJSON: Data
        do {
            planJSON = try quantized.plan.encoded()
        } catch {
            throw ModelIOError.writeFailed(path: graph.name, reason: "the plan cannot be encoded: \(error)")
        }
        result.metadata[planKey] = String(decoding: planJSON, as: UTF8.self)
        result.metadata[fallbackLayersKey] = fallbacks.joined(separator: ",")
        result.metadata[weightStorageKey] = storage.joined(separator: "; ")
        if let model {
            result.metadata["quantdash.model_path"] = model.path
            result.metadata["quantdash.model_sha256"] = model.sha256
        }
        if let data {
            result.metadata["quantdash.data_path"] = data.path
            result.metadata["quantdash.data_sha256"] = data.sha256
        }
        return result
    }
}

import Foundation

/// Where an exported plan came from and what it produced: the optional `"provenance"` object of
/// a plan file (see `docs/plan-format.md`).
///
/// ```
/// "provenance": {
///   "exportedAt": "2026-11-18T11:06:40Z", "calibrationCount": 256,
///   "model": { "path": "demo-mlp", "sha256": "…" }, "data": { "path": "demo", "sha256": "…" },
///   "results": { "top1": 0.957, …, "layers": [ { "name": "fc1", "bytes": 100864, "sqnrDecibels": 38.2 } ] } }
/// ```
/// `quantdash eval --plan` reads it and ignores it: the plan's settings alone decide the result.
public struct PlanProvenance: Sendable, Equatable {
    /// When the plan was exported.
    public var exportedAt: Date
    /// The model the plan was applied to.
    public var model: FileReference
    /// The held-out data it was evaluated on.
    public var data: FileReference
    /// Training images used to calibrate activation ranges, if any were used.
    public var calibrationCount: Int?
    /// What the plan produced on that model and data.
    public var results: PlanResults?

    /// Creates a provenance record.
    public init(
        exportedAt: Date, model: FileReference, data: FileReference, calibrationCount: Int? = nil,
        results: PlanResults? = nil
    ) {
        self.exportedAt = exportedAt
        self.model = model
        self.data = data
        self.calibrationCount = calibrationCount
        self.results = results
    }
}

/// A model or data file named as the user gave it, with the SHA-256 of its bytes.
///
/// JSON: `{ "path": "model.onnx", "sha256": "…" }`, plus `"labels": "labels.idx"` for a data set
/// stored as images and labels files; then `sha256` covers the images file followed by the
/// labels file (`cat images labels | sha256sum`). The bundled demo files are recorded by the
/// names users type (`demo-mlp`, `demo`) with the digest of the bundled resources.
public struct FileReference: Sendable, Equatable, Hashable {
    /// The path or name as given on the command line or in the dashboard.
    public var path: String
    /// The labels file of a data set, when it is separate.
    public var labelsPath: String?
    /// SHA-256 of the file's bytes (of images then labels when `labelsPath` is set), lowercase hex.
    public var sha256: String

    /// Creates a reference from its parts.
    public init(path: String, labelsPath: String? = nil, sha256: String) {
        self.path = path
        self.labelsPath = labelsPath
        self.sha256 = sha256
    }
}

/// Held-out results and size of a quantized model: what a session shows and an export records.
public struct PlanResults: Sendable, Equatable {
    /// One layer's stored bytes and weight error.
    public struct LayerResult: Sendable, Equatable {
        /// The layer's name.
        public var name: String
        /// Bytes stored for the layer (weights in their encoding, parameters and bias).
        public var bytes: Int
        /// Signal-to-quantization-noise ratio of the weights in dB; `nil` when there is no error.
        public var sqnrDecibels: Double?

        /// Creates a layer result.
        public init(name: String, bytes: Int, sqnrDecibels: Double?) {
            self.name = name
            self.bytes = bytes
            self.sqnrDecibels = sqnrDecibels
        }
    }

    /// Held-out top-1 accuracy, 0…1.
    public var top1: Double
    /// Held-out top-5 accuracy, 0…1.
    public var top5: Double
    /// Mean negative log-likelihood in nats (JSON `nll`); NaN, and left out of the JSON, when no
    /// sample's output was finite.
    public var meanNLL: Double
    /// Share of predictions equal to the float model's, 0…1, when measured.
    public var agreement: Double?
    /// Samples evaluated.
    public var count: Int
    /// Whether every held-out sample was evaluated (`false` for an estimate on a subset).
    public var isExact: Bool
    /// Bytes of the export with this plan.
    public var sizeBytes: Int
    /// Bytes of the float32 model.
    public var floatBytes: Int
    /// `floatBytes / sizeBytes`.
    public var compressionRatio: Double
    /// Per-layer bytes and SQNR, in model order (empty when not recorded).
    public var layers: [LayerResult]
    /// Fidelity to the float model (JSON `fidelity`), when measured and finite.
    public var fidelity: Fidelity?

    /// Creates results from their parts.
    public init(
        top1: Double, top5: Double, meanNLL: Double, agreement: Double?, count: Int, isExact: Bool,
        sizeBytes: Int, floatBytes: Int, compressionRatio: Double, layers: [LayerResult] = []
    ) {
        self.top1 = top1
        self.top5 = top5
        self.meanNLL = meanNLL
        self.agreement = agreement
        self.count = count
        self.isExact = isExact
        self.sizeBytes = sizeBytes
        self.floatBytes = floatBytes
        self.compressionRatio = compressionRatio
        self.layers = layers
    }

    /// The results of evaluating `model` (`evaluation`), with its size and, when
    /// `includingLayers`, every layer's bytes and SQNR.
    public init(evaluation: EvalReport, model: QuantizedModel, includingLayers: Bool = true) {
        self.init(
            top1: evaluation.top1, top5: evaluation.top5, meanNLL: evaluation.finiteMeanNLL ?? .nan,
            agreement: evaluation.agreement, count: evaluation.count, isExact: evaluation.isExact,
            sizeBytes: model.size.currentBytes, floatBytes: model.size.floatBytes,
            compressionRatio: model.size.compressionRatio,
            layers: includingLayers
                ? model.layerReports.map {
                    LayerResult(
                        name: $0.layer.name, bytes: $0.size.quantizedBytes,
                        sqnrDecibels: $0.metrics.sqnrDecibels.flatMap { $0.isFinite ? $0 : nil })
                } : [])
        // JSON holds no NaN or ∞: a fidelity with a non-finite value (no finite output) is left out.
        if let fidelity = evaluation.fidelity,
            [fidelity.agreement, fidelity.kl ?? 0, fidelity.cosine, fidelity.relativeMSE].allSatisfy(\.isFinite)
        {
            self.fidelity = fidelity
        }
    }
}

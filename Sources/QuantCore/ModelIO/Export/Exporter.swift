import Foundation

/// What an export writes: the one list of formats, shared by `quantdash export --format` and the
/// dashboard's export dialog.
public enum ExportFormat: String, Sendable, Equatable, CaseIterable {
    /// The normalized plan with provenance and results (re-runnable with `eval --plan`).
    case config
    /// The quantized model as ONNX in QDQ form.
    case onnx
    /// A self-contained C99 header and source for microcontrollers.
    case c
    /// A Markdown report for a pull request.
    case report
    /// A TensorFlow Lite flatbuffer (`.tflite`).
    case tflite

    /// Shown in dialogs.
    public var title: String {
        switch self {
        case .config: "configuration (plan JSON + results)"
        case .onnx: "quantized ONNX model (QDQ)"
        case .c: "C99 header + source for microcontrollers"
        case .report: "Markdown report"
        case .tflite: "TensorFlow Lite model (.tflite)"
        }
    }

    /// The file name extension offered (none for C: the path is the base of NAME.h and NAME.c).
    public var fileExtension: String {
        switch self {
        case .config: ".json"
        case .onnx: ".onnx"
        case .c: ""
        case .report: ".md"
        case .tflite: ".tflite"
        }
    }

    /// The default file name for an export of a session or model called `base`.
    public func defaultFileName(base: String) -> String {
        let stem = base.isEmpty ? "quantdash" : base
        switch self {
        case .config: return "\(stem)-config.json"
        case .onnx: return "\(stem)-quantized.onnx"
        case .c: return CExporter.identifier(stem)
        case .report: return "\(stem)-report.md"
        case .tflite: return "\(stem)-quantized.tflite"
        }
    }
}

/// One export: what to write, where, and the provenance it records.
public struct ExportRequest: Sendable {
    /// The format.
    public var format: ExportFormat
    /// The plan to apply.
    public var plan: QuantPlan
    /// Where to write: a file (config, onnx, report), or for C a folder (NAME = the model's name)
    /// or a path without extension (`.c`/`.h` are dropped; NAME = its last component).
    public var path: String
    /// Replace existing files.
    public var overwrite: Bool
    /// The model file, with its SHA-256.
    public var model: FileReference
    /// The held-out data, with its SHA-256.
    public var data: FileReference
    /// The `quantdash eval` arguments that load this model and data as they were loaded
    /// (`--model`, `--data`, `--labels`, normalization, limit, calibration), without `--plan`.
    public var evalArguments: [String]
    /// The plan file the user gave (CLI), named by the report's Reproduce line; nil (dashboard):
    /// the report embeds the plan in that line instead.
    public var planPath: String?
    /// When the export was made (config, and the report when set).
    public var exportedAt: Date?
    /// tflite: int8 input and output tensors instead of float ones with QUANTIZE / DEQUANTIZE
    /// (only for a plan with a full-integer form; others are refused).
    public var integerIO = false
    /// c: how the integer form requantizes (onnxruntime's float multipliers unless asked for
    /// TFLite's fixed point); the float form ignores it.
    public var requantization: Requantization = .float

    /// Creates a request.
    public init(
        format: ExportFormat, plan: QuantPlan, path: String, overwrite: Bool, model: FileReference,
        data: FileReference, evalArguments: [String], planPath: String? = nil, exportedAt: Date? = nil
    ) {
        self.format = format
        self.plan = plan
        self.path = path
        self.overwrite = overwrite
        self.model = model
        self.data = data
        self.evalArguments = evalArguments
        self.planPath = planPath
        self.exportedAt = exportedAt
    }
}

/// What an export wrote.
public struct ExportResult: Sendable {
    /// The files written, in order (`NAME.h` then `NAME.c` for C).
    public var files: [URL]
    /// What was written, by format.
    public var details: Details

    /// Per-format details.
    public enum Details: Sendable {
        /// The config written (with its provenance and results).
        case config(QuantPlan)
        /// The QDQ graph written.
        case onnx(Graph)
        /// The C export written.
        case c(CExport)
        /// The Markdown written.
        case report(String)
        /// The TensorFlow Lite model written.
        case tflite(TFLiteExport)
    }
}

/// The one export path: `quantdash export` and the dashboard both call `Exporter.export`.
public enum Exporter {
    /// The files an export to `path` writes (C: `NAME.h` and `NAME.c`), and for C the folder and
    /// base name. `modelPath` names the C files when `path` is an existing folder.
    ///
    /// - Throws: `ModelIOError.writeFailed` for an empty path.
    public static func destination(
        _ format: ExportFormat, path: String, modelPath: String
    ) throws -> (files: [URL], folder: URL, name: String) {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ModelIOError.writeFailed(path: "\"\"", reason: "the output path is empty")
        }
        guard format == .c else {
            let url = URL(fileURLWithPath: path)
            return ([url], url.deletingLastPathComponent(), url.lastPathComponent)
        }
        var isDirectory: ObjCBool = false
        let folder: URL
        let name: String
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            folder = URL(fileURLWithPath: path, isDirectory: true)
            name = CExporter.identifier(URL(fileURLWithPath: modelPath).deletingPathExtension().lastPathComponent)
        } else {
            var base = URL(fileURLWithPath: path)
            if ["c", "h"].contains(base.pathExtension) { base = base.deletingPathExtension() }
            folder = base.deletingLastPathComponent()
            name = CExporter.identifier(base.lastPathComponent)
        }
        let files = ["h", "c"].map { folder.appendingPathComponent("\(name).\($0)", isDirectory: false) }
        return (files, folder, name)
    }

    /// Applies the plan with `workbench` and writes the export.
    ///
    /// - Throws: `ModelIOError.exists` (before any work) when a destination exists and
    ///   `overwrite` is false; `.writeFailed`; `.incompatible`; `PlanError`; engine errors.
    @discardableResult
    public static func export(_ request: ExportRequest, using workbench: Workbench) throws -> ExportResult {
        let target = try destination(request.format, path: request.path, modelPath: request.model.path)
        if !request.overwrite,
            let existing = target.files.first(where: { FileManager.default.fileExists(atPath: $0.path) })
        {
            throw ModelIOError.exists(path: existing.relativePath)
        }
        let url = URL(fileURLWithPath: request.path)
        switch request.format {
        case .config:
            let config = try ConfigExporter.export(
                request.plan, using: workbench, model: request.model, data: request.data, to: url,
                overwrite: request.overwrite, exportedAt: request.exportedAt ?? Date())
            return ExportResult(files: target.files, details: .config(config))
        case .onnx:
            let graph = try QDQExporter.export(
                request.plan, using: workbench, model: request.model, data: request.data, to: url,
                overwrite: request.overwrite)
            return ExportResult(files: target.files, details: .onnx(graph))
        case .c:
            let export = try CExporter.export(
                request.plan, using: workbench, name: target.name, path: request.path,
                requantization: request.requantization)
            let files = try CExporter.write(export, into: target.folder, overwrite: request.overwrite)
            return ExportResult(files: files, details: .c(export))
        case .report:
            let text = try ReportExporter.export(
                request.plan, using: workbench, model: request.model, data: request.data,
                reproduceCommand: try reproduceCommand(request), to: url, overwrite: request.overwrite,
                generatedAt: request.exportedAt)
            return ExportResult(files: target.files, details: .report(text))
        case .tflite:
            let export = try TFLiteExporter.export(
                request.plan, using: workbench, model: request.model, data: request.data, to: url,
                overwrite: request.overwrite, integerIO: request.integerIO)
            return ExportResult(files: target.files, details: .tflite(export))
        }
    }

    /// The shell lines that reproduce a report's numbers: `quantdash eval` with the model and
    /// data as loaded and the plan file given — or, without one, the plan written out first.
    static func reproduceCommand(_ request: ExportRequest) throws -> String {
        let command = (request.evalArguments + ["--plan", request.planPath ?? "plan.json"])
            .map(ShellQuoting.quoted).joined(separator: " ")
        guard request.planPath == nil else { return command }
        let json: String
        do {
            json = String(decoding: try request.plan.encoded(), as: UTF8.self)
        } catch let error as PlanError {
            throw ModelIOError.writeFailed(path: request.path, reason: error.description)
        }
        let body = json.hasSuffix("\n") ? json : json + "\n"
        return "cat > plan.json <<'QUANTDASH_PLAN'\n\(body)QUANTDASH_PLAN\n\(command)"
    }
}

/// Arguments quoted for a POSIX shell.
public enum ShellQuoting {
    /// `plan.json` stays as it is; `my plan.json` → `'my plan.json'`; `it's` → `'it'\''s'`.
    public static func quoted(_ argument: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !argument.isEmpty && argument.allSatisfy({ safe.contains($0) }) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

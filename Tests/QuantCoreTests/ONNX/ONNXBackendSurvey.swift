import Foundation
import Testing

@testable import QuantCore

/// Runs every case of a full copy of ONNX's backend test data and writes the survey that the
/// fixture README shows. Manual, through `Scripts/survey_onnx_backend_tests.sh`, which sets:
///
/// - `QUANTDASH_ONNX_BACKEND_SURVEY`: the folder holding `pytorch-converted/`, `pytorch-operator/`, `simple/`
///   and, when generated, `node/`;
/// - `QUANTDASH_ONNX_BACKEND_SURVEY_OUTPUT`: a folder to write `survey.md` (the README section)
///   and `copy.txt` (the passing cases small enough to copy into the fixtures, one per line).
///
/// Without them the test is skipped: the regular suite never reads outside the package.
@Suite struct ONNXBackendSurvey {
    /// Passing cases larger than this stay out of the fixtures (three cases of 1–4.5 MB).
    static let copyLimit = 8 * 1024 * 1024

    /// The folder of the full test data, when the script runs the survey.
    static let source = ProcessInfo.processInfo.environment["QUANTDASH_ONNX_BACKEND_SURVEY"]
    /// Where the survey writes `survey.md` and `copy.txt`.
    static let output = ProcessInfo.processInfo.environment["QUANTDASH_ONNX_BACKEND_SURVEY_OUTPUT"]

    /// One case's outcome.
    struct Row {
        /// `group/name`.
        var name: String
        /// Whether it loads, runs and matches ONNX's outputs.
        var passed: Bool
        /// The model's operator types, in node order.
        var operators: String
        /// Why it is skipped (or failed), or a remark on a passing case.
        var note: String
        /// The size of the case folder's files.
        var byteCount: Int
    }

    @Test(.enabled(if: source != nil && output != nil, "set QUANTDASH_ONNX_BACKEND_SURVEY and _OUTPUT to run"))
    func surveyAllCases() throws {
        let root = URL(fileURLWithPath: try #require(Self.source))
        let outputFolder = URL(fileURLWithPath: try #require(Self.output))
        let names = ONNXBackendCase.caseNames(in: root)
        try #require(!names.isEmpty, "no cases under \(root.path)")
        let rows = names.map { Self.row(for: $0, in: root) }
        let copied = rows.filter { $0.passed && $0.byteCount <= Self.copyLimit }.map(\.name)
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        try Self.markdown(rows).write(
            to: outputFolder.appendingPathComponent("survey.md"), atomically: true, encoding: .utf8)
        try (copied.joined(separator: "\n") + "\n").write(
            to: outputFolder.appendingPathComponent("copy.txt"), atomically: true, encoding: .utf8)
    }

    /// Runs case `name` under `root` and classifies the outcome: the reader's or executor's
    /// refusal becomes the skip reason; anything else is marked "FAILS".
    static func row(for name: String, in root: URL) -> Row {
        let folder = root.appendingPathComponent(name)
        var row = Row(
            name: name, passed: false, operators: operators(in: folder), note: "", byteCount: byteCount(of: folder))
        do {
            try ONNXBackendCase.run(folder)
            row.passed = true
            if row.byteCount > copyLimit {
                row.note = String(format: "not copied: %.1f MB", Double(row.byteCount) / 1_000_000)
            } else if usesDoubles(folder) {
                row.note = "DOUBLE tensors, computed in float32"
            }
        } catch let error as ModelIOError {
            switch error {
            case .unsupportedOperator(_, let op, _): row.note = "operator \(op)"
            case .unsupportedOperators(_, let operators):
                row.note = "operators \(operators.map { $0.split(separator: " ").first ?? "" }.joined(separator: ", "))"
            case .unsupportedDataType(_, _, let type): row.note = "data type \(type)"
            case .invalidGraph(_, let graphError): row.note = reason(graphError)
            default: row.note = "error: \(error)"
            }
        } catch let error as GraphError {
            row.note = reason(error)
        } catch {
            row.note = "FAILS: \(error)"
        }
        return row
    }

    /// The skip reason for a graph error: the unsupported configuration, else "FAILS".
    static func reason(_ error: GraphError) -> String {
        if case .unsupported(_, let op, let detail) = error { return "\(op): \(detail)" }
        return "FAILS: \(error)"
    }

    /// The operator types of the model, in node order, each once.
    static func operators(in folder: URL) -> String {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("model.onnx")),
            let model = try? Onnx_ModelProto(serializedBytes: data)
        else { return "?" }
        var seen: [String] = []
        for node in model.graph.node {
            let name = node.domain.isEmpty ? node.opType : "\(node.domain).\(node.opType)"
            if !seen.contains(name) { seen.append(name) }
        }
        return seen.joined(separator: ", ")
    }

    /// Whether any test data tensor of the case is DOUBLE.
    static func usesDoubles(_ folder: URL) -> Bool {
        let data = folder.appendingPathComponent("test_data_set_0")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? []
        return files.contains {
            (try? ONNXTensorFile.load(contentsOf: data.appendingPathComponent($0)))?.elementType == .float64
        }
    }

    /// The total size of the regular files under `folder`.
    static func byteCount(of folder: URL) -> Int {
        let keys: Set<URLResourceKey> = [.fileSizeKey, .isRegularFileKey]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: Array(keys))
        var total = 0
        while let url = enumerator?.nextObject() as? URL {
            guard let values = try? url.resourceValues(forKeys: keys), values.isRegularFile == true else { continue }
            total += values.fileSize ?? 0
        }
        return total
    }

    /// The README section: the pass count, skipped cases grouped by reason, one table row per case.
    static func markdown(_ rows: [Row]) -> String {
        let passed = rows.filter(\.passed)
        let copied = passed.filter { !$0.note.hasPrefix("not copied") }
        var lines = [
            "**\(passed.count) of \(rows.count) cases pass** (rtol \(ONNXBackendCase.relativeTolerance), "
                + "atol \(ONNXBackendCase.absoluteTolerance)); \(copied.count) of them are copied here "
                + "(\(String(format: "%.0f", Double(copied.map(\.byteCount).reduce(0, +)) / 1000)) kB).",
            "",
            "Skipped cases by reason:",
            "",
        ]
        var byReason: [String: [String]] = [:]
        for row in rows where !row.passed { byReason[row.note, default: []].append(row.name) }
        for (reason, names) in byReason.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) {
            lines.append("- \(reason) (\(names.count)): \(names.map { "`\($0)`" }.joined(separator: ", "))")
        }
        lines += ["", "| case | result | operators | note |", "|---|---|---|---|"]
        for row in rows {
            lines.append("| `\(row.name)` | \(row.passed ? "pass" : "skip") | \(row.operators) | \(row.note) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

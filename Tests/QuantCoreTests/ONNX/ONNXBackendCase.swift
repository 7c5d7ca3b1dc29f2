import Foundation
import QuantTestSupport

@testable import QuantCore

/// Runs one ONNX backend test case (a folder with `model.onnx` and `test_data_set_0/`)
/// through the real reader and executor and compares with ONNX's expected outputs.
///
/// Used by `ONNXBackendConformanceTests` on the copied fixtures and by `ONNXBackendSurvey`
/// on a full copy of ONNX's backend test data.
enum ONNXBackendCase {
    /// Relative tolerance, as ONNX's backend runner (`onnx/backend/test/runner`) uses.
    static let relativeTolerance: Float = 1e-3
    /// Absolute tolerance; ONNX's runner uses 1e-7 and every copied case passes with it.
    static let absoluteTolerance: Float = 1e-7
    /// The groups of cases: those copied from ONNX's `onnx/backend/test/data/`, and `node/`
    /// (one operator each), which `Scripts/make_onnx_node_cases.py` generates from the same wheel.
    static let groups = ["node", "pytorch-converted", "pytorch-operator", "simple"]

    /// The folder of the copied cases, `Tests/Fixtures/onnx-backend-tests`.
    static var fixtures: URL {
        TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/onnx-backend-tests")
    }

    /// The case folders under `root`, as `group/name`, sorted.
    static func caseNames(in root: URL) -> [String] {
        groups.flatMap { group -> [String] in
            let folder = root.appendingPathComponent(group)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(group)/\($0)" }
        }
    }

    /// One output that differs from ONNX's expectation.
    struct Mismatch: Error, CustomStringConvertible {
        /// The graph output's name.
        var output: String
        /// What differs.
        var detail: String
        var description: String { "output '\(output)': \(detail)" }
    }

    /// Loads the case in `folder`, feeds `input_i.pb` to the i-th graph input, runs it and
    /// compares every output with `output_i.pb`.
    ///
    /// - Parameter atol: the absolute tolerance (ONNX's runner's by default).
    /// - Returns: the number of outputs compared.
    /// - Throws: the reader's or executor's error (the case is not supported), or `Mismatch`.
    @discardableResult
    static func run(_ folder: URL, atol: Float = absoluteTolerance) throws -> Int {
        let graph = try ONNXModel.load(contentsOf: folder.appendingPathComponent("model.onnx"))
        let executor = try GraphExecutor(graph: graph)
        let data = folder.appendingPathComponent("test_data_set_0")
        var inputs: [String: Tensor] = [:]
        for (index, input) in graph.inputs.enumerated() {
            inputs[input.name] = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("input_\(index).pb"))
                .tensor
        }
        let outputs = try executor.run(inputs)
        for (index, output) in graph.outputs.enumerated() {
            let expected = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("output_\(index).pb")).tensor
            guard let actual = outputs[output.name] else { throw Mismatch(output: output.name, detail: "not produced") }
            guard actual.shape == expected.shape else {
                throw Mismatch(output: output.name, detail: "shape \(actual.shape), expected \(expected.shape)")
            }
            if let detail = firstDifference(actual.storage, expected.storage, atol: atol) {
                throw Mismatch(output: output.name, detail: detail)
            }
        }
        return graph.outputs.count
    }

    /// The first element outside `atol + rtol · |expected|`, as NumPy's `assert_allclose`
    /// judges it (ONNX's runner uses that): NaN matches NaN, an infinity matches the same infinity.
    static func firstDifference(
        _ actual: [Float], _ expected: [Float], rtol: Float = relativeTolerance, atol: Float = absoluteTolerance
    ) -> String? {
        guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
        for (index, (value, reference)) in zip(actual, expected).enumerated() {
            if value == reference || (value.isNaN && reference.isNaN) { continue }
            if value.isInfinite || reference.isInfinite {
                return "element \(index): \(value), expected \(reference)"
            }
            let tolerance = atol + rtol * abs(reference)
            if !(abs(value - reference) <= tolerance) {
                return "element \(index): \(value), expected \(reference) (tolerance \(tolerance))"
            }
        }
        return nil
    }
}

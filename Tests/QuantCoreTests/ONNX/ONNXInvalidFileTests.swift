import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Broken ONNX models (`Tests/Fixtures/invalid/onnx/`, made by `Scripts/make_invalid_fixtures.py`),
/// each asserted by the one line the user sees. Several claim gigabytes in a file of about 150
/// bytes: the reader must refuse them before allocating anything.
@Suite struct ONNXInvalidFileTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/onnx")

    /// File → the message after `<path>: `; a message ending in `…` is checked as a prefix.
    static let cases: [(file: String, message: String)] = [
        ("garbage.onnx", "not a valid ONNX model (protobuf decoding failed: …"),
        ("truncated.onnx", "not a valid ONNX model (protobuf decoding failed: …"),
        ("empty.onnx", "the file holds no graph (is it an ONNX model?)"),
        ("cycle.onnx", "the graph has a cycle through nodes 'a', 'r'"),
        ("dangling-input.onnx", "node 'mm' reads 'ghost', which nothing produces"),
        ("duplicate-output.onnx", "value 'y' is produced more than once"),
        ("duplicate-initializer.onnx", "value 'w' is produced more than once"),
        ("missing-output.onnx", "graph output 'z' is never produced"),
        ("raw-data-mismatch.onnx", "tensor 'w' has 12 bytes of raw data; shape [2, 2] of FLOAT needs 16"),
        ("negative-dim.onnx", "tensor 'w' has invalid dimensions [-1, 2]"),
        ("overflow-dims.onnx", "tensor 'w' has invalid dimensions [1099511627776, 1099511627776]"),
        ("zero-and-overflow-dims.onnx", "tensor 'w' has invalid dimensions [0, 1099511627776, 1099511627776]"),
        (
            "absurd-dims.onnx",
            "tensor 'w' has 16 bytes of raw data; shape [100000, 100000] of FLOAT needs 40000000000"
        ),
        ("absurd-dims-float-data.onnx", "tensor 'w' has 4 values; shape [100000, 100000] needs 10000000000"),
        ("unsupported-op.onnx", "unsupported operator NonMaxSuppression (node 'nms')"),
        ("unsupported-dtype.onnx", "tensor 'w' has unsupported data type FLOAT16"),
        ("nan-weight.onnx", "initializer 'w' holds nan at index 2; weights must be finite numbers"),
        ("inf-weight.onnx", "initializer 'w' holds -inf at index 0; weights must be finite numbers"),
        (
            "external-absolute.onnx",
            "tensor 'w': external data: location '/etc/passwd' is an absolute path; it must be relative to the model's folder"
        ),
        (
            "external-dotdot.onnx",
            "tensor 'w': external data: location '../onnx/weights.bin' contains '..'; it must stay inside the model's folder"
        ),
        ("external-missing.onnx", "tensor 'w': external data: location 'missing.bin': no such file next to the model"),
        (
            "external-offset.onnx",
            "tensor 'w': external data: offset 1000 is beyond the end of 'weights.bin' (16 bytes)"
        ),
        (
            "external-length.onnx",
            "tensor 'w': external data: offset 0 + length 64 is beyond the end of 'weights.bin' (16 bytes)"
        ),
        (
            "external-size-mismatch.onnx",
            "tensor 'w': external data: 8 bytes at offset 8 of 'weights.bin'; the tensor's shape needs 16"
        ),
        ("external-no-location.onnx", "tensor 'w': external data: no 'location' key"),
        (
            "external-bad-offset.onnx",
            "tensor 'w': external data: offset '-4' is not a non-negative whole number"
        ),
    ]

    @Test(arguments: cases.indices)
    func eachModelGivesItsOneLineError(index: Int) throws {
        let (file, message) = Self.cases[index]
        let url = Self.folder.appendingPathComponent(file)
        let error = try #require(throws: ModelIOError.self) { try ONNXModel.load(contentsOf: url) }
        let text = error.description
        if message.hasSuffix("…") {
            #expect(text.hasPrefix("\(url.path): \(message.dropLast())"), "\(text)")
        } else {
            #expect(text == "\(url.path): \(message)")
        }
        #expect(!text.contains("\n"), "\(text)")
    }

    /// Models that load but whose attributes or input shape ask for terabytes once run: refused
    /// by the operator (or the summary's input) before anything is allocated.
    static let runCases: [(file: String, message: String)] = [
        (
            "run-pad-huge.onnx",
            "Pad node 'pad': shape mismatch: shape [1, 1, 1099511627780, 4] would hold more than 1073741824 values"
        ),
        (
            "run-conv-huge-pads.onnx",
            "Conv node 'conv': shape mismatch: shape [1, 1, 2097156, 2097156] would hold more than 1073741824 values"
        ),
        (
            "run-pool-huge-pads.onnx",
            "MaxPool node 'pool': shape mismatch: shape [1, 1, 2097156, 2097156] would hold more than 1073741824 values"
        ),
        (
            "run-input-huge.onnx",
            "Input node 'x': shape mismatch: shape [1, 1099511627776] would hold more than 1073741824 values"
        ),
    ]

    @Test(arguments: runCases.indices)
    func eachModelRefusesToAllocateTerabytes(index: Int) throws {
        let (file, message) = Self.runCases[index]
        let graph = try ONNXModel.load(contentsOf: Self.folder.appendingPathComponent(file))
        let error = try #require(throws: GraphError.self) { try graph.summary() }
        #expect(error.description == message)
    }

    @Test func everyFixtureIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".onnx") && $0 != "input-3-features.onnx" }
        #expect(Set(files) == Set(Self.cases.map(\.file) + Self.runCases.map(\.file)))
    }
}

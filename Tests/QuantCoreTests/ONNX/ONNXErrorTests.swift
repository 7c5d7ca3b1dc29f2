import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Bad models, each asserted by its error (and where it matters, its one-line text).
@Suite struct ONNXErrorTests {
    typealias M = ONNXTestModels

    @Test func garbageIsMalformedAndNamesTheFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("garbage.onnx")
        try Data("this is not an ONNX model at all".utf8).write(to: url)
        let error = try #require(throws: ModelIOError.self) { try ONNXModel.load(contentsOf: url) }
        guard case .malformed(let path, _) = error else { Issue.record("expected .malformed, got \(error)"); return }
        #expect(path == url.path)
        #expect(error.description.hasPrefix("\(url.path): "))
    }

    @Test func truncatedModelIsMalformed() throws {
        let original = M.backendTests.appendingPathComponent("pytorch-converted/test_Conv2d/model.onnx")
        let bytes = try Data(contentsOf: original)
        let error = try #require(throws: ModelIOError.self) {
            try ONNXModel.decode(bytes.prefix(bytes.count / 2), source: "cut.onnx")
        }
        guard case .malformed(path: "cut.onnx", _) = error else {
            Issue.record("expected .malformed, got \(error)"); return
        }
    }

    @Test func emptyDataHasNoGraph() {
        #expect(
            throws: ModelIOError.malformed(path: "empty.onnx", detail: "the file holds no graph (is it an ONNX model?)")
        ) {
            try ONNXModel.decode(Data(), source: "empty.onnx")
        }
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: ModelIOError.unreadable(path: "/nonexistent/model.onnx", reason: "no such file")) {
            try ONNXModel.load(contentsOf: URL(fileURLWithPath: "/nonexistent/model.onnx"))
        }
        #expect(throws: ModelIOError.unreadable(path: "/nonexistent/input_0.pb", reason: "no such file")) {
            try ONNXTensorFile.load(contentsOf: URL(fileURLWithPath: "/nonexistent/input_0.pb"))
        }
    }

    @Test func folderIsUnreadable() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ModelIOError.unreadable(path: folder.path, reason: "it is a folder, not a file")) {
            try ONNXModel.load(contentsOf: folder)
        }
    }

    @Test func unknownOperatorIsNamedWithItsNode() {
        let named = M.model(
            nodes: [M.node("FancyOp", name: "fancy1", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1])],
            outputs: [("y", [1])])
        let expected = ModelIOError.unsupportedOperator(path: "fancy.onnx", op: "FancyOp", node: "fancy1")
        #expect(throws: expected) { try ONNXModel.decode(M.bytes(named), source: "fancy.onnx") }
        #expect(expected.description == "fancy.onnx: unsupported operator FancyOp (node 'fancy1')")

        let unnamed = M.model(
            nodes: [M.node("FancyOp", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1])], outputs: [("y", [1])])
        #expect(throws: ModelIOError.unsupportedOperator(path: "fancy.onnx", op: "FancyOp", node: "y")) {
            try ONNXModel.decode(M.bytes(unnamed), source: "fancy.onnx")
        }
    }

    @Test func customDomainIsUnsupported() {
        let model = M.model(
            nodes: [M.node("Relu", name: "r", inputs: ["x"], outputs: ["y"], domain: "com.microsoft")],
            inputs: [("x", [1])], outputs: [("y", [1])])
        #expect(throws: ModelIOError.unsupportedOperator(path: "m.onnx", op: "com.microsoft.Relu", node: "r")) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func undefinedValueIsAnInvalidGraph() {
        let model = M.model(
            nodes: [M.node("Add", name: "add", inputs: ["x", "ghost"], outputs: ["y"])], inputs: [("x", [1])],
            outputs: [("y", [1])])
        #expect(throws: ModelIOError.invalidGraph(path: "m.onnx", .unknownValue(node: "add", value: "ghost"))) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func cycleIsAnInvalidGraph() {
        let model = M.model(
            nodes: [
                M.node("Add", name: "a", inputs: ["x", "c"], outputs: ["b"]),
                M.node("Relu", name: "r", inputs: ["b"], outputs: ["c"]),
            ],
            inputs: [("x", [1])], outputs: [("c", [1])])
        #expect(throws: ModelIOError.invalidGraph(path: "m.onnx", .cycle(nodes: ["a", "r"]))) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func unsupportedElementTypeIsNamed() {
        var half = Onnx_TensorProto()
        half.name = "w"
        half.dataType = 10  // FLOAT16
        half.dims = [1]
        half.rawData = Data([0, 0x3C])
        let model = M.model(
            nodes: [M.node("Add", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [1])], outputs: [("y", [1])],
            initializers: [half])
        let expected = ModelIOError.unsupportedDataType(path: "m.onnx", tensor: "w", dataType: "FLOAT16")
        #expect(throws: expected) { try ONNXModel.decode(M.bytes(model), source: "m.onnx") }
        #expect(expected.description == "m.onnx: tensor 'w' has unsupported data type FLOAT16")
    }

    @Test func externalDataIsRejectedClearly() throws {
        var tensor = M.floatTensor("w", dims: [1], values: [])
        tensor.dataLocation = .external
        let model = M.model(
            nodes: [M.node("Add", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [1])], outputs: [("y", [1])],
            initializers: [tensor])
        let error = try #require(throws: ModelIOError.self) { try ONNXModel.decode(M.bytes(model), source: "m.onnx") }
        #expect(error.description.contains("external file"))
    }

    @Test func tensorDataMustMatchItsShape() {
        let model = M.model(
            nodes: [M.node("Add", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [2])], outputs: [("y", [2])],
            initializers: [M.floatTensor("w", dims: [2, 3], values: [1, 2, 3])])
        #expect(throws: ModelIOError.malformed(path: "m.onnx", detail: "tensor 'w' has 3 values; shape [2, 3] needs 6"))
        {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func missingGraphOutputIsAnInvalidGraph() {
        let model = M.model(
            nodes: [M.node("Relu", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1])], outputs: [("z", [1])])
        #expect(throws: ModelIOError.invalidGraph(path: "m.onnx", .missingOutput("z"))) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func wronglyTypedAttributeIsInvalid() {
        var group = Onnx_AttributeProto()
        group.name = "group"
        group.type = .float
        group.f = 2
        let model = M.model(
            nodes: [M.node("Conv", name: "conv", inputs: ["x", "w"], outputs: ["y"], attributes: [group])],
            inputs: [("x", [1, 1, 3, 3])], outputs: [("y", [1, 1, 1, 1])],
            initializers: [M.floatTensor("w", dims: [1, 1, 3, 3], values: Array(repeating: 1, count: 9))])
        let expected = ModelIOError.invalidGraph(
            path: "m.onnx",
            .invalidAttribute(node: "conv", op: "Conv", detail: "attribute 'group' should be an integer"))
        #expect(throws: expected) { try ONNXModel.decode(M.bytes(model), source: "m.onnx") }
    }

    @Test func oldBroadcastWithLeadingAxisIsRejected() {
        let model = M.model(
            nodes: [
                M.node(
                    "Add", name: "add", inputs: ["x", "b"], outputs: ["y"],
                    attributes: [M.intAttribute("broadcast", 1), M.intAttribute("axis", 0)])
            ],
            inputs: [("x", [2, 3]), ("b", [2])], outputs: [("y", [2, 3])], opset: 6)
        let error = #expect(throws: ModelIOError.self) { try ONNXModel.decode(M.bytes(model), source: "m.onnx") }
        guard case .invalidGraph(_, .unsupported(node: "add", op: "Add", _))? = error else {
            Issue.record("expected .unsupported, got \(String(describing: error))")
            return
        }
    }

    @Test func garbageTensorFileIsMalformed() {
        #expect(throws: ModelIOError.self) { try ONNXTensorFile.decode(Data([0xFF, 0xFF, 0xFF]), source: "t.pb") }
        #expect(throws: ModelIOError.malformed(path: "t.pb", detail: "not a valid ONNX tensor (no data type)")) {
            try ONNXTensorFile.decode(Data(), source: "t.pb")
        }
    }
}

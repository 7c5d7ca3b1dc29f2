import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// A tiny, test-only translation of ONNX backend test models into `Graph`s, so the kernels can be
/// checked against ONNX's own expected outputs without depending on the real ONNX reader.
enum BackendCase {
    /// Why a case cannot be translated (an operator or data type outside the engine's set).
    struct Skip: Error, CustomStringConvertible {
        var description: String
    }

    /// A translated model with its inputs and expected outputs.
    struct Loaded {
        var graph: Graph
        var inputs: [String: Tensor]
        var expected: [(String, Tensor)]
    }

    /// The folder holding ONNX's backend test data.
    static var root: URL { TestSupport.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/onnx-backend-tests") }

    static func tensor(_ proto: Onnx_TensorProto) throws -> Tensor {
        let shape = proto.dims.map { Int($0) }
        let count = Tensor.elementCount(of: shape)
        var values: [Float]
        switch proto.dataType {
        case 1:
            values = proto.floatData.isEmpty ? proto.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } : proto.floatData
        case 7:
            values = (proto.int64Data.isEmpty ? proto.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) } : proto.int64Data).map(Float.init)
        case 6:
            values = (proto.int32Data.isEmpty ? proto.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) } : proto.int32Data).map(Float.init)
        case 11:
            values = (proto.doubleData.isEmpty ? proto.rawData.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) } : proto.doubleData).map { Float($0) }
        default:
            throw Skip(description: "tensor data type \(proto.dataType)")
        }
        guard values.count == count else { throw Skip(description: "tensor \(proto.name) has \(values.count) values for \(shape)") }
        return Tensor(shape: shape, storage: values)
    }

    static func operation(_ node: Onnx_NodeProto, opset: Int64) throws -> Operator {
        var attributes: [String: Onnx_AttributeProto] = [:]
        for attribute in node.attribute { attributes[attribute.name] = attribute }
        func ints(_ name: String) -> [Int] { attributes[name]?.ints.map { Int($0) } ?? [] }
        func int(_ name: String, _ fallback: Int) -> Int { attributes[name].map { Int($0.i) } ?? fallback }
        func float(_ name: String, _ fallback: Float) -> Float { attributes[name]?.f ?? fallback }
        func autoPad() throws -> AutoPad {
            guard let value = attributes["auto_pad"] else { return .notSet }
            guard let pad = AutoPad(rawValue: String(decoding: value.s, as: UTF8.self)) else { throw Skip(description: "auto_pad") }
            return pad
        }
        func pool() throws -> PoolAttributes {
            PoolAttributes(
                kernelShape: ints("kernel_shape"), strides: ints("strides"), pads: ints("pads"), dilations: ints("dilations"),
                ceilMode: int("ceil_mode", 0) != 0, countIncludePad: int("count_include_pad", 0) != 0, autoPad: try autoPad())
        }
        switch node.opType {
        case "Gemm":
            return .gemm(GemmAttributes(alpha: float("alpha", 1), beta: float("beta", 1), transposeA: int("transA", 0) != 0, transposeB: int("transB", 0) != 0))
        case "MatMul": return .matMul
        case "Add": return .add
        case "Sub": return .sub
        case "Mul": return .mul
        case "Div": return .div
        case "Conv":
            return .conv(ConvAttributes(kernelShape: ints("kernel_shape"), strides: ints("strides"), pads: ints("pads"), dilations: ints("dilations"), group: int("group", 1), autoPad: try autoPad()))
        case "MaxPool": return .maxPool(try pool())
        case "AveragePool": return .averagePool(try pool())
        case "GlobalAveragePool": return .globalAveragePool
        case "GlobalMaxPool": return .globalMaxPool
        case "BatchNormalization": return .batchNormalization(epsilon: float("epsilon", 1e-5))
        case "Relu": return .relu
        case "Clip":
            return .clip(min: attributes["min"]?.f, max: attributes["max"]?.f)
        case "LeakyRelu": return .leakyRelu(alpha: float("alpha", 0.01))
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "Softmax", "LogSoftmax":
            let axis = int("axis", opset >= 13 ? -1 : 1)
            if opset < 13 { throw Skip(description: "pre-13 \(node.opType) (coerces to 2-D)") }
            return node.opType == "Softmax" ? .softmax(axis: axis) : .logSoftmax(axis: axis)
        case "Flatten": return .flatten(axis: int("axis", 1))
        case "Reshape": return .reshape(allowZero: int("allowzero", 0) != 0)
        case "Concat": return .concat(axis: int("axis", 0))
        case "Identity": return .identity
        case "Dropout": return .dropout
        case "Constant":
            guard let value = attributes["value"] else { throw Skip(description: "Constant without a tensor value") }
            return .constant(try tensor(value.t))
        default:
            throw Skip(description: node.opType)
        }
    }

    static func load(_ folder: URL) throws -> Loaded {
        let model = try Onnx_ModelProto(serializedBytes: Data(contentsOf: folder.appendingPathComponent("model.onnx")))
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 1
        var initializers: [String: Tensor] = [:]
        for proto in model.graph.initializer { initializers[proto.name] = try tensor(proto) }
        let nodes = try model.graph.node.enumerated().map { index, node in
            Node(name: node.name.isEmpty ? "node\(index)" : node.name, op: try operation(node, opset: opset), inputs: node.input, outputs: node.output)
        }
        let feeds = model.graph.input.filter { initializers[$0.name] == nil }
        let data = folder.appendingPathComponent("test_data_set_0")
        var inputs: [String: Tensor] = [:]
        for (index, feed) in feeds.enumerated() {
            inputs[feed.name] = try tensor(Onnx_TensorProto(serializedBytes: Data(contentsOf: data.appendingPathComponent("input_\(index).pb"))))
        }
        let expected = try model.graph.output.enumerated().map { index, output in
            (output.name, try tensor(Onnx_TensorProto(serializedBytes: Data(contentsOf: data.appendingPathComponent("output_\(index).pb")))))
        }
        let graph = Graph(
            name: folder.lastPathComponent, inputs: feeds.map { ValueInfo(name: $0.name, shape: []) },
            outputs: model.graph.output.map { ValueInfo(name: $0.name, shape: []) }, initializers: initializers, nodes: nodes)
        return Loaded(graph: graph, inputs: inputs, expected: expected)
    }

    /// Every case folder in the backend test data.
    static var allCases: [URL] {
        ["pytorch-converted", "pytorch-operator", "simple"].flatMap { group -> [URL] in
            let folder = root.appendingPathComponent(group)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted().map { folder.appendingPathComponent($0) }
        }
    }
}

@Suite struct OnnxBackendConformanceTests {
    /// Cases the engine must run (all their operators are supported).
    static let mustRun: Set<String> = [
        "test_AvgPool2d", "test_AvgPool2d_stride", "test_BatchNorm2d_eval", "test_Conv1d_dilated",
        "test_Conv1d_groups", "test_Conv2d_depthwise_padded", "test_Conv2d_depthwise_with_multiplier", "test_Conv2d_dilated",
        "test_Conv2d_groups", "test_Conv2d_strided", "test_Linear", "test_MaxPool1d_stride_padding_dilation",
        "test_MaxPool2d_stride_padding_dilation", "test_operator_add_broadcast", "test_operator_add_size1_singleton_broadcast", "test_operator_flatten",
        "test_operator_conv", "test_operator_concat2", "test_operator_clip", "test_operator_view",
    ]

    @Test func backendCasesMatchOnnxOutputs() throws {
        let cases = BackendCase.allCases
        try #require(!cases.isEmpty, "no ONNX backend test data at \(BackendCase.root.path)")
        var ran: Set<String> = [], skipped: [String] = []
        for folder in cases {
            let name = folder.lastPathComponent
            let loaded: BackendCase.Loaded
            do {
                loaded = try BackendCase.load(folder)
            } catch let skip as BackendCase.Skip {
                skipped.append("\(name): \(skip)")
                continue
            }
            let executor: GraphExecutor
            do {
                executor = try GraphExecutor(graph: loaded.graph)
            } catch GraphError.unsupported(_, let op, let detail) {
                skipped.append("\(name): \(op) \(detail)")
                continue
            }
            let outputs = try executor.run(loaded.inputs)
            for (outputName, expected) in loaded.expected {
                let actual = try #require(outputs[outputName])
                #expect(actual.count == expected.count, "\(name)")
                // Double-typed cases hold values beyond Float's range: identical infinities match.
                let finite = zip(actual.storage, expected.storage).filter { !($0 == $1 && $0.isInfinite) }
                let mismatch = TestSupport.firstMismatch(finite.map(\.0), finite.map(\.1), rtol: 1e-3, atol: 1e-5)
                #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
            }
            ran.insert(name)
        }
        #expect(Self.mustRun.isSubset(of: ran), "not run: \(Self.mustRun.subtracting(ran).sorted())")
        print("ONNX backend cases run: \(ran.count): \(ran.sorted().joined(separator: " "))")
        print("skipped \(skipped.count): \(skipped.joined(separator: "; "))")
    }
}

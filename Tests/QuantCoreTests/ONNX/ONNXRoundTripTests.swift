import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct ONNXRoundTripTests {
    @Test func smallCNNSurvivesEncodeDecode() throws {
        let graph = try ONNXTestModels.smallCNN.validated()
        let decoded = try ONNXModel.decode(try ONNXModel.encode(graph), source: "memory")
        #expect(decoded == graph)
    }

    @Test func everyOperatorSurvivesEncodeDecode() throws {
        let graph = try ONNXTestModels.everyOperator.validated()
        let decoded = try ONNXModel.decode(try ONNXModel.encode(graph), source: "memory")
        #expect(decoded.nodes.map(\.op) == graph.nodes.map(\.op))
        #expect(decoded == graph)
    }

    @Test func writeThenLoadThroughAFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("small.onnx")
        let graph = ONNXTestModels.smallCNN
        try ONNXModel.write(graph, to: url)
        #expect(try ONNXModel.load(contentsOf: url) == graph)
        // Overwriting replaces the file and leaves no temporary files behind.
        try ONNXModel.write(graph, to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["small.onnx"])
    }

    @Test func encodingIsDeterministic() throws {
        let graph = ONNXTestModels.smallCNN
        #expect(try ONNXModel.encode(graph) == ONNXModel.encode(graph))
    }

    @Test func writtenModelHasTheAgreedHeaderAndTypes() throws {
        let model = try Onnx_ModelProto(serializedBytes: ONNXModel.encode(ONNXTestModels.smallCNN))
        #expect(model.irVersion == 8)
        #expect(model.producerName == "quantdash")
        #expect(model.opsetImport.map { "\($0.domain):\($0.version)" } == [":13"])
        #expect(model.metadataProps.map { "\($0.key)=\($0.value)" } == ["author=tests", "quantdash.note=round trip"])

        let initializers = Dictionary(uniqueKeysWithValues: model.graph.initializer.map { ($0.name, $0) })
        let shape = try #require(initializers["shape"])
        #expect(shape.dataType == 7)  // INT64
        #expect(
            shape.rawData == Data([-1, 2, 5].flatMap { withUnsafeBytes(of: Int64($0).littleEndian) { Array($0) } }))
        let weight = try #require(initializers["conv1.weight"])
        #expect(weight.dataType == 1 && weight.dims == [4, 1, 3, 3] && weight.rawData.count == 36 * 4)
        #expect(weight.floatData.isEmpty)

        let input = try #require(model.graph.input.first)
        #expect(model.graph.input.count == 1)
        #expect(input.type.tensorType.shape.dim.map(\.dimParam) == ["batch", "", "", ""])
        #expect(input.type.tensorType.shape.dim.map(\.dimValue) == [0, 1, 8, 8])

        let constant = try #require(model.graph.node.first { $0.name == "flat_shape" })
        #expect(constant.attribute.map(\.name) == ["value"])
        #expect(constant.attribute.first?.t.dataType == 7)
        let conv2 = try #require(model.graph.node.first { $0.name == "conv2" })
        #expect(conv2.attribute.map(\.name) == ["kernel_shape", "strides", "pads", "dilations", "group"])
    }

    @Test func allowZeroAndAveragePoolDilationsRaiseTheOpset() throws {
        var graph = ONNXTestModels.smallCNN
        #expect(ONNXGraphWriter.requiredOpset(graph) == 13)
        graph.nodes[6].op = .reshape(allowZero: true)
        #expect(ONNXGraphWriter.requiredOpset(graph) == 14)
        graph.nodes[3].op = .averagePool(PoolAttributes(kernelShape: [2, 2], dilations: [1, 1]))
        #expect(ONNXGraphWriter.requiredOpset(graph) == 19)
        #expect(try ONNXModel.decode(ONNXModel.encode(graph), source: "memory") == graph)
    }

    @Test func shapeRangeAndPadAxesRaiseTheOpset() throws {
        var graph = ONNXTestModels.everyOperator
        let shape = try #require(graph.nodes.firstIndex { $0.op == .shape(start: 0, end: nil) })
        graph.nodes[shape].op = .shape(start: 1, end: -1)
        #expect(ONNXGraphWriter.requiredOpset(graph) == 15)
        let pad = try #require(graph.nodes.firstIndex { $0.op == .pad(mode: .reflect) })
        graph.nodes[pad].inputs = [graph.nodes[pad].inputs[0], "w", "", "w"]
        #expect(ONNXGraphWriter.requiredOpset(graph) == 18)
        let model = try Onnx_ModelProto(serializedBytes: ONNXModel.encode(graph))
        #expect(model.opsetImport.map(\.version) == [18])
        #expect(try ONNXModel.decode(ONNXModel.encode(graph), source: "memory") == graph.validated())
    }

    @Test func reduceMeanAxesMoveToAnInputFromOpset18() throws {
        // AveragePool dilations need opset 19, where ReduceMean takes its axes as input 1.
        let dilatedPool = PoolAttributes(kernelShape: [2, 2], dilations: [1, 1])
        let graph = Graph(
            name: "reduce", inputs: [ValueInfo(name: "x", shape: [1, 2, 4, 4])],
            outputs: [ValueInfo(name: "y", shape: [1, 2])], initializers: [:],
            nodes: [
                Node(name: "pool", op: .averagePool(dilatedPool), inputs: ["x"], outputs: ["p"]),
                Node(name: "mean", op: .reduceMean(axes: [2, 3], keepDims: false), inputs: ["p"], outputs: ["y"]),
            ])
        let model = try Onnx_ModelProto(serializedBytes: ONNXModel.encode(graph))
        #expect(model.opsetImport.map(\.version) == [19])
        let mean = try #require(model.graph.node.last)
        #expect(mean.input == ["p", "mean_axes"] && mean.attribute.map(\.name) == ["keepdims"])
        #expect(model.graph.initializer.map(\.name) == ["mean_axes"] && model.graph.initializer.first?.dataType == 7)
        #expect(try ONNXModel.decode(ONNXModel.encode(graph), source: "memory") == graph)
    }

    static let flattenedSoftmaxes: [Operator] = [.flattenedSoftmax(axis: 1), .flattenedLogSoftmax(axis: -2)]

    @Test(arguments: flattenedSoftmaxes)
    func flattenedSoftmaxIsWrittenAsTheVersionConverterDoes(_ op: Operator) throws {
        let graph = Graph(
            name: "old_softmax", inputs: [ValueInfo(name: "x", shape: [nil, 3, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3, 4])],
            initializers: [:], nodes: [Node(name: "sm", op: op, inputs: ["x"], outputs: ["y"])])
        let decoded = try ONNXModel.decode(ONNXModel.encode(graph), source: "memory")
        let single: Operator = op.onnxName == "Softmax" ? .softmax(axis: -1) : .logSoftmax(axis: -1)
        let axis = op == .flattenedSoftmax(axis: 1) ? 1 : -2
        let expanded: [Operator] = [
            .shape(start: 0, end: nil), .flatten(axis: axis), single, .reshape(allowZero: false),
        ]
        #expect(decoded.nodes.map(\.op) == expanded)
        #expect(decoded.nodes.map(\.name) == ["sm_shape", "sm_flatten", "sm", "sm_reshape"])
        let x = OpsTestHelpers.random([2, 3, 4], seed: 7)
        let expected = try GraphExecutor(graph: graph).run(["x": x])["y"]
        let actual = try GraphExecutor(graph: decoded).run(["x": x])["y"]
        #expect(try #require(actual) == #require(expected))
    }

    @Test func clipBoundsFromAttributesAreWrittenAsInputs() throws {
        let graph = Graph(
            name: "clip", inputs: [ValueInfo(name: "x", shape: [2])], outputs: [ValueInfo(name: "y", shape: [2])],
            initializers: [:],
            nodes: [Node(name: "clip", op: .clip(min: -0.5, max: 0.5), inputs: ["x"], outputs: ["y"])])
        let decoded = try ONNXModel.decode(try ONNXModel.encode(graph), source: "memory")
        #expect(
            decoded.nodes == [
                Node(
                    name: "clip", op: .clip(min: nil, max: nil), inputs: ["x", "clip_clip_min", "clip_clip_max"],
                    outputs: ["y"])
            ])
        #expect(decoded.initializers == ["clip_clip_min": Tensor(scalar: -0.5), "clip_clip_max": Tensor(scalar: 0.5)])
    }

    @Test func integerTensorsMustHoldIntegers() throws {
        var graph = ONNXTestModels.smallCNN
        graph.initializers["shape"] = Tensor(shape: [3], storage: [-1, 2.5, 5])
        #expect(throws: ModelIOError.self) { try ONNXModel.encode(graph) }
        graph.initializers["shape"] = Tensor(shape: [3], storage: [-1, 2, 5])
        graph.initializers["byte"] = Tensor(shape: [1], storage: [300])
        graph.initializerTypes["byte"] = .int8
        #expect(throws: ModelIOError.self) { try ONNXModel.encode(graph) }
    }
}

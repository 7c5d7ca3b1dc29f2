import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Reads models and tensors from ONNX's own backend test data (Tests/Fixtures/onnx-backend-tests).
@Suite struct ONNXBackendFixtureTests {
    /// One copied case and what its model says (checked with onnx 1.23.2's Python API).
    struct Case: Sendable, CustomTestStringConvertible {
        var folder: String
        var ops: [Operator]
        var initializerShapes: [String: [Int]]
        var inputShapes: [[Int]]
        var outputShape: [Int]
        var testDescription: String { folder }
    }

    static let cases: [Case] = [
        Case(
            folder: "pytorch-converted/test_Conv2d",
            ops: [
                .conv(
                    ConvAttributes(
                        kernelShape: [3, 2], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1))
            ],
            initializerShapes: ["1": [4, 3, 3, 2], "2": [4]], inputShapes: [[2, 3, 7, 5]], outputShape: [2, 4, 5, 4]),
        Case(
            folder: "pytorch-converted/test_Conv2d_depthwise_padded",
            ops: [
                .conv(
                    ConvAttributes(
                        kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 4))
            ],
            initializerShapes: ["1": [4, 1, 3, 3], "2": [4]], inputShapes: [[2, 4, 6, 6]], outputShape: [2, 4, 6, 6]),
        Case(
            folder: "pytorch-converted/test_Linear", ops: [.gemm(GemmAttributes(transposeB: true))],
            initializerShapes: ["1": [8, 10], "2": [8]], inputShapes: [[4, 10]], outputShape: [4, 8]),
        Case(
            folder: "pytorch-converted/test_MaxPool2d",
            ops: [.maxPool(PoolAttributes(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]))],
            initializerShapes: [:], inputShapes: [[1, 3, 7, 7]], outputShape: [1, 3, 4, 4]),
        Case(
            folder: "pytorch-converted/test_AvgPool2d",
            ops: [.averagePool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0]))],
            initializerShapes: [:], inputShapes: [[2, 3, 6, 6]], outputShape: [2, 3, 3, 3]),
        Case(
            folder: "pytorch-converted/test_BatchNorm2d_eval",
            ops: [.batchNormalization(epsilon: 9.999999747378752e-06)],
            initializerShapes: ["1": [3], "2": [3], "3": [3], "4": [3]], inputShapes: [[2, 3, 6, 6]],
            outputShape: [2, 3, 6, 6]),
        Case(
            folder: "pytorch-converted/test_Softmax", ops: [.softmax(axis: 1)],
            initializerShapes: [:], inputShapes: [[10, 20]], outputShape: [10, 20]),
        Case(
            folder: "pytorch-converted/test_softmax_functional_dim3", ops: [.softmax(axis: 3)],
            initializerShapes: [:], inputShapes: [[2, 3, 4, 5]], outputShape: [2, 3, 4, 5]),
        Case(
            folder: "pytorch-converted/test_LeakyReLU_with_negval", ops: [.leakyRelu(alpha: 0.5)],
            initializerShapes: [:], inputShapes: [[3, 2, 5]], outputShape: [3, 2, 5]),
        Case(
            folder: "pytorch-operator/test_operator_flatten", ops: [.flatten(axis: 1)],
            initializerShapes: [:], inputShapes: [[1, 2, 3, 4]], outputShape: [1, 24]),
        Case(
            folder: "pytorch-operator/test_operator_clip", ops: [.clip(min: -0.5, max: 0.5)],
            initializerShapes: [:], inputShapes: [[3, 4]], outputShape: [3, 4]),
        Case(
            folder: "pytorch-operator/test_operator_mm",
            ops: [.constant(Tensor(shape: [1], storage: [0])), .gemm(GemmAttributes(alpha: 1, beta: 0))],
            initializerShapes: [:], inputShapes: [[2, 3], [3, 4]], outputShape: [2, 4]),
        Case(
            folder: "pytorch-operator/test_operator_add_broadcast", ops: [.add],
            initializerShapes: [:], inputShapes: [[2, 3], [3]], outputShape: [2, 3]),
        Case(
            folder: "pytorch-operator/test_operator_non_float_params", ops: [.add, .mul],
            initializerShapes: ["1": [2, 2]], inputShapes: [[2, 2]], outputShape: [2, 2]),
        Case(
            folder: "pytorch-operator/test_operator_concat2", ops: [.concat(axis: 1)],
            initializerShapes: [:], inputShapes: [[2, 3], [2, 3]], outputShape: [2, 6]),
        Case(
            folder: "simple/test_single_relu_model", ops: [.relu],
            initializerShapes: [:], inputShapes: [[1, 2]], outputShape: [1, 2]),
    ]

    @Test(arguments: cases)
    func modelLoadsWithTheExpectedOperators(_ testCase: Case) throws {
        let folder = ONNXTestModels.backendTests.appendingPathComponent(testCase.folder)
        let graph = try ONNXModel.load(contentsOf: folder.appendingPathComponent("model.onnx"))
        #expect(graph.nodes.map(\.op) == testCase.ops)
        #expect(graph.initializers.mapValues(\.shape) == testCase.initializerShapes)
        // Old exporters list weights as inputs too; only real inputs remain.
        #expect(graph.inputs.map { $0.shape.compactMap { $0 } } == testCase.inputShapes)
        #expect(graph.outputs.map { $0.shape.compactMap { $0 } } == [testCase.outputShape])
    }

    @Test(arguments: cases)
    func testDataTensorsReadWithTheModelShapes(_ testCase: Case) throws {
        let data = ONNXTestModels.backendTests.appendingPathComponent(testCase.folder).appendingPathComponent(
            "test_data_set_0")
        for (index, shape) in testCase.inputShapes.enumerated() {
            let input = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("input_\(index).pb"))
            #expect(input.tensor.shape == shape)
        }
        let output = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("output_0.pb"))
        #expect(output.tensor.shape == testCase.outputShape)
    }

    @Test(arguments: cases)
    func modelSurvivesARoundTripThroughOurWriter(_ testCase: Case) throws {
        let url = ONNXTestModels.backendTests.appendingPathComponent(testCase.folder).appendingPathComponent(
            "model.onnx")
        let graph = try ONNXModel.load(contentsOf: url)
        let again = try ONNXModel.decode(ONNXModel.encode(graph), source: "memory")
        if case .clip = graph.nodes.first?.op {
            #expect(again.nodes.first?.op == .clip(min: nil, max: nil))  // bounds move to inputs at opset 13
        } else {
            #expect(again == graph)
        }
    }

    @Test func tensorValuesMatchWhatONNXReads() throws {
        let data = ONNXTestModels.backendTests.appendingPathComponent(
            "pytorch-converted/test_MaxPool2d/test_data_set_0")
        let input = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("input_0.pb"))
        #expect(input.elementType == .float32)
        #expect(Array(input.tensor.storage.prefix(3)) == [0.11615088, 0.6195721, 0.40965328])
        let output = try ONNXTensorFile.load(contentsOf: data.appendingPathComponent("output_0.pb"))
        #expect(Array(output.tensor.storage.prefix(3)) == [1.2184577, 1.2184577, 0.8232999])

        let named = try ONNXTensorFile.load(
            contentsOf: ONNXTestModels.backendTests.appendingPathComponent(
                "simple/test_single_relu_model/test_data_set_0/input_0.pb"))
        #expect(named.name == "x")

        let integers = try ONNXTensorFile.load(
            contentsOf: ONNXTestModels.backendTests.appendingPathComponent(
                "pytorch-operator/test_operator_non_float_params/test_data_set_0/output_0.pb"))
        #expect(integers.elementType == .int64)
        #expect(integers.tensor.storage.prefix(3) == [2, 8, 18])
    }

    @Test func integerInitializerKeepsItsType() throws {
        let graph = try ONNXModel.load(
            contentsOf: ONNXTestModels.backendTests.appendingPathComponent(
                "pytorch-operator/test_operator_non_float_params/model.onnx"))
        #expect(graph.initializerTypes == ["1": .int64])
        #expect(graph.inputs.map(\.elementType) == [.int64])
    }

    @Test func unsupportedOperatorInARealModelIsNamed() throws {
        let url = ONNXTestModels.backendTests.appendingPathComponent(
            "unsupported/simple/test_shrink/model.onnx")
        #expect(throws: ModelIOError.unsupportedOperator(path: url.path, op: "Shrink", node: "y")) {
            try ONNXModel.load(contentsOf: url)
        }
    }
}

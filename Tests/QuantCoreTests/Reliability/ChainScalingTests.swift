import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.9: loading, validating and evaluating a chain of N layers takes time linear in N.
///
/// The chain is N Gemm layers of 8×8 (ReLU between them would double the nodes without changing
/// the shape of the problem). Each size is timed in this process; the test asserts that 4× the
/// layers costs well under the 16× a quadratic step would, and prints the figures
/// (RELIABILITY.md, "Long chains").
@Suite(.serialized) struct ChainScalingTests {
    typealias M = ONNXTestModels

    /// A serialized model `x [?, 8] → fc0 → … → fc(N−1) → y [?, 8]`, weights near the identity.
    static func chain(_ count: Int) -> Data {
        var nodes: [Onnx_NodeProto] = []
        var initializers: [Onnx_TensorProto] = []
        var previous = "x"
        for index in 0..<count {
            let output = index == count - 1 ? "y" : "h\(index)"
            nodes.append(
                M.node(
                    "Gemm", name: "fc\(index)", inputs: [previous, "w\(index)", "b\(index)"], outputs: [output],
                    attributes: [M.intAttribute("transB", 1)]))
            let weights = (0..<64).map { Float($0 / 8 == $0 % 8 ? 1 : 0) + Float(($0 * 7 + index) % 5) * 0.001 }
            initializers.append(M.floatTensor("w\(index)", dims: [8, 8], values: weights))
            initializers.append(M.floatTensor("b\(index)", dims: [8], values: [Float](repeating: 0, count: 8)))
            previous = output
        }
        var model = M.model(
            nodes: nodes, inputs: [("x", [-1, 8])], outputs: [("y", [-1, 8])], initializers: initializers)
        model.graph.input[0].type.tensorType.shape.dim[0].dimParam = "batch"
        return M.bytes(model)
    }

    /// Seconds to decode, validate, build a workbench and evaluate the chain of `count` layers
    /// on 64 samples, float and with an 8-bit plan.
    static func seconds(_ count: Int) throws -> (load: Double, evaluate: Double) {
        let bytes = chain(count)
        let start = Date()
        let graph = try ONNXModel.decode(bytes, source: "chain\(count).onnx")
        _ = try graph.summary()
        let loaded = Date()
        let images = Tensor(shape: [64, 8], storage: (0..<512).map { Float($0 % 13) / 13 })
        let data = try Dataset(name: "chain", images: images, labels: (0..<64).map { $0 % 8 }, classCount: 8)
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        _ = try workbench.floatReport()
        let report = try workbench.evaluate(try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 8))))
        #expect(report.count == 64)
        return (loaded.timeIntervalSince(start), Date().timeIntervalSince(loaded))
    }

    @Test(.timeLimit(.minutes(5))) func fourTimesTheLayersCostsAboutFourTimesTheTime() throws {
        _ = try Self.seconds(100)  // warm up
        let small = try Self.seconds(1000)
        let large = try Self.seconds(4000)
        print(
            String(
                format: "chain 1000: load %.3f s, evaluate %.3f s; chain 4000: load %.3f s, evaluate %.3f s",
                small.load, small.evaluate, large.load, large.evaluate))
        // Linear: ×4. Quadratic: ×16. Allow for a busy machine and allocator effects.
        #expect(large.load / max(small.load, 0.01) < 8)
        #expect(large.evaluate / max(small.evaluate, 0.01) < 8)
    }

    /// With `QUANTDASH_CHAIN_DIR` set, writes `chainN.onnx` (N = 1000, 4000, 20000) and `chain-data.npz`
    /// (64 samples of 8 values) there, for timing the CLI (RELIABILITY.md, "Long chains").
    @Test func writeChainModelsForTheCLI() throws {
        guard let path = ProcessInfo.processInfo.environment["QUANTDASH_CHAIN_DIR"] else { return }
        let folder = URL(fileURLWithPath: path)
        for count in [1000, 4000, 20000] {
            try Self.chain(count).write(to: folder.appendingPathComponent("chain\(count).onnx"))
        }
        try NumPyWriter.npz(
            [
                ("x", NumPyWriter.npy(floats: (0..<512).map { Float($0 % 13) / 13 }, shape: [64, 8])),
                ("y", NumPyWriter.npy(int64s: (0..<64).map { Int64($0 % 8) }, shape: [64])),
            ], to: folder.appendingPathComponent("chain-data.npz"), deflated: false)
    }
}

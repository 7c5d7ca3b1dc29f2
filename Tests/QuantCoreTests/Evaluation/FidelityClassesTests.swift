import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The KL of fidelity is a KL between class distributions: a Softmax output's probabilities are
/// used as they are (not put through a softmax again), a LogSoftmax output's exponentials too,
/// and outputs that are not classes (no labels, no Softmax or Gemm end) get no KL at all.
@Suite struct FidelityClassesTests {
    /// x [N, 6] → Gemm (weight [5, 6], transB) → `end` → y; the same weights for every `end`.
    static func graph(end: Operator?) -> Graph {
        var random = SplitMix64(seed: 7)
        let weight = Tensor(shape: [5, 6], storage: (0..<30).map { _ in random.nextGaussian() })
        var nodes = [
            Node(name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["x", "fc.weight"], outputs: ["z"])
        ]
        var output = "z"
        if let end {
            nodes.append(Node(name: "end", op: end, inputs: ["z"], outputs: ["y"]))
            output = "y"
        }
        return Graph(
            name: "head", inputs: [ValueInfo(name: "x", shape: [nil, 6])],
            outputs: [ValueInfo(name: output, shape: [nil, 5])], initializers: ["fc.weight": weight],
            nodes: nodes)
    }

    /// 60 random samples of 6 values; without labels unless `labeled`.
    static func data(labeled: Bool) throws -> Dataset {
        var random = SplitMix64(seed: 11)
        let images = Tensor(shape: [60, 6], storage: (0..<360).map { _ in random.nextGaussian() })
        var data = try Dataset(
            name: "random", images: images, labels: (0..<60).map { $0 % 5 }, classCount: 5)
        data.hasLabels = labeled
        return data
    }

    static let plan = QuantPlan(defaults: LayerSettings(bitWidth: 2, scheme: .symmetric, granularity: .tensor))

    /// The fidelity of the 2-bit plan, with both models' raw outputs on every sample.
    static func measure(end: Operator?, labeled: Bool) throws -> (Fidelity, float: Tensor, quantized: Tensor) {
        let graph = Self.graph(end: end)
        let data = try Self.data(labeled: labeled)
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        workbench.batchSize = 16
        _ = try workbench.floatReport()
        let model = try workbench.apply(Self.plan)
        let fidelity = try #require(try workbench.evaluate(model).fidelity)
        let executor = try GraphExecutor(graph: graph)
        let output = try #require(graph.outputs.first?.name)
        let float = try #require(try executor.run(["x": try data.images])[output])
        let quantized = try #require(
            try executor.run(["x": try data.images], weightOverrides: model.weightOverrides)[output])
        return (fidelity, float, quantized)
    }

    /// Mean over rows of Σ p · ln(p / q), for rows of probabilities.
    static func meanKL(probabilities p: Tensor, _ q: Tensor) -> Double {
        let rows = p.shape[0], width = p.count / rows
        var total = 0.0
        for row in 0..<rows {
            for index in (row * width)..<((row + 1) * width) where p.storage[index] > 0 {
                let a = Double(p.storage[index]), b = Double(q.storage[index])
                total += a * log(a / b)
            }
        }
        return total / Double(rows)
    }

    @Test func aSoftmaxOutputsKLIsTheKLOfItsProbabilities() throws {
        let (fidelity, float, quantized) = try Self.measure(end: .softmax(axis: -1), labeled: false)
        let expected = Self.meanKL(probabilities: float, quantized)
        let kl = try #require(fidelity.kl, "a Softmax output is classes: KL is measured without labels")
        #expect(expected > 0.01, "2-bit weights must move the class distributions")
        #expect(abs(kl - expected) <= 1e-5 * max(1, expected))
        // The old mistake, a softmax of the probabilities, gives a much smaller figure.
        let again = Self.meanKL(probabilities: Tensor(shape: float.shape, storage: Self.softmaxRows(float)), quantized)
        #expect(abs(again - expected) > 0.1 * expected || again.isNaN)
    }

    @Test func logitsSoftmaxAndLogSoftmaxEndsGiveTheSameKL() throws {
        let logits = try #require(try Self.measure(end: nil, labeled: true).0.kl)
        let probabilities = try #require(try Self.measure(end: .softmax(axis: 1), labeled: true).0.kl)
        let logProbabilities = try #require(try Self.measure(end: .logSoftmax(axis: -1), labeled: false).0.kl)
        #expect(logits > 0.01)
        #expect(abs(probabilities - logits) <= 1e-4 * logits)
        #expect(abs(logProbabilities - logits) <= 1e-4 * logits)
    }

    @Test func outputsThatAreNotClassesGetNoKLUnlessLabelled() throws {
        // Gemm → Tanh without labels: a vector (like a pooled embedding), so no KL; JSON leaves it out.
        let (fidelity, _, _) = try Self.measure(end: .tanh, labeled: false)
        #expect(fidelity.kl == nil && fidelity.cosine < 1 && fidelity.relativeMSE > 0)
        #expect(!fidelity.summary.contains("KL"))
        let json = String(decoding: try JSONEncoder().encode(fidelity), as: UTF8.self)
        #expect(!json.contains("\"kl\"") && json.contains("\"cosine\""))
        #expect(try JSONDecoder().decode(Fidelity.self, from: Data(json.utf8)) == fidelity)
        // Labels say the outputs are classes.
        #expect(try Self.measure(end: .tanh, labeled: true).0.kl != nil)
        #expect(!Self.graph(end: .tanh).outputLooksLikeClasses && Self.graph(end: nil).outputLooksLikeClasses)
    }

    /// A graph ending in a Conv whose output has extents `spatial` after its channels.
    static func convHead(spatial: [Int]) -> Graph {
        let weight = Tensor(shape: [5, 4, 1, 1], storage: (0..<20).map { Float($0) / 20 })
        return Graph(
            name: "head", inputs: [ValueInfo(name: "x", shape: [nil, 4] + spatial)],
            outputs: [ValueInfo(name: "y", shape: [nil, 5] + spatial)], initializers: ["w": weight],
            nodes: [
                Node(
                    name: "fc", op: .conv(ConvAttributes(kernelShape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0])),
                    inputs: ["x", "w"], outputs: ["y"])
            ])
    }

    @Test func aOneByOneConvHeadOnPooledFeaturesIsClassesAFeatureMapIsNot() {
        // The model zoo's DenseNet-121 ends GlobalAveragePool → Conv with output [1, 1000, 1, 1].
        #expect(Self.convHead(spatial: [1, 1]).outputLooksLikeClasses)
        #expect(!Self.convHead(spatial: [7, 7]).outputLooksLikeClasses)
    }

    /// Each row of `tensor` put through a softmax.
    static func softmaxRows(_ tensor: Tensor) -> [Float] {
        let rows = tensor.shape[0], width = tensor.count / rows
        var result: [Float] = []
        for row in 0..<rows {
            let values = tensor.storage[(row * width)..<((row + 1) * width)].map { exp(Double($0)) }
            let sum = values.reduce(0, +)
            result += values.map { Float($0 / sum) }
        }
        return result
    }
}

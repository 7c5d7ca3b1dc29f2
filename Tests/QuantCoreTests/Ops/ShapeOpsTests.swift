import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct ShapeOpsTests {
    typealias H = OpsTestHelpers

    @Test func flatten() throws {
        let x = H.random([2, 3, 4, 5], seed: 1)
        // axis 1: [2, 3·4·5] = [2, 60]; axis 0: [1, 120]; axis 4 (= rank): [120, 1]; axis −2: [2·3, 4·5]
        #expect(try Ops.flatten(x, axis: 1).shape == [2, 60])
        #expect(try Ops.flatten(x, axis: 0).shape == [1, 120])
        #expect(try Ops.flatten(x, axis: 4).shape == [120, 1])
        #expect(try Ops.flatten(x, axis: -2).shape == [6, 20])
        #expect(try Ops.flatten(x, axis: 1).storage == x.storage)
        #expect(H.mismatchNode(H.graphError { _ = try Ops.flatten(x, axis: 5, node: "f") }) == "f")
    }

    @Test func reshapeResolvesZeroAndMinusOne() throws {
        // [2, 3, 4] with [0, −1]: 0 copies 2, −1 = 24 / 2 = 12 → [2, 12]
        #expect(try Ops.reshapedShape([2, 3, 4], target: [0, -1], allowZero: false) == [2, 12])
        // [−1, 4] → [24/4, 4] = [6, 4]; in [4, 0, 2] the 0 copies input axis 1 (3) → [4, 3, 2]
        #expect(try Ops.reshapedShape([2, 3, 4], target: [-1, 4], allowZero: false) == [6, 4])
        #expect(try Ops.reshapedShape([2, 3, 4], target: [4, 0, 2], allowZero: false) == [4, 3, 2])
        // allowZero keeps a literal 0: [0, 3] has 0 elements, so [3, 0] → [3, 0]
        #expect(try Ops.reshapedShape([0, 3], target: [3, 0], allowZero: true) == [3, 0])
        let x = H.tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let y = try Ops.reshape(x, shape: H.tensor([2], [3, -1]), allowZero: false)
        #expect(y == H.tensor([3, 2], [1, 2, 3, 4, 5, 6]))
    }

    static let badTargets: [([Int], [Float], Bool)] = [
        ([2, 3], [-1, -1], false),  // two −1
        ([2, 3], [4, 2], false),  // 8 ≠ 6 elements
        ([2, 3], [4, -1], false),  // 6 not divisible by 4
        ([2, 3], [1, 2, 0], false),  // 0 past the input's rank
        ([2, 3], [2.5, 2], false),  // not an integer
        ([2, 3], [-2, 3], false),  // negative extent
        ([0, 3], [0, -1], true),  // allowzero with 0 and −1
    ]

    @Test(arguments: badTargets)
    func reshapeErrors(inputShape: [Int], target: [Float], allowZero: Bool) {
        let error = H.graphError {
            _ = try Ops.reshapedShape(inputShape, target: target, allowZero: allowZero, node: "rs")
        }
        #expect(H.mismatchNode(error) == "rs")
    }

    @Test func concat() throws {
        // axis 1: [[1, 2], [3, 4]] ++ [[5], [6]] = [[1, 2, 5], [3, 4, 6]]
        let a = H.tensor([2, 2], [1, 2, 3, 4]), b = H.tensor([2, 1], [5, 6])
        #expect(try Ops.concat([a, b], axis: 1) == H.tensor([2, 3], [1, 2, 5, 3, 4, 6]))
        #expect(try Ops.concat([a, b], axis: -1) == H.tensor([2, 3], [1, 2, 5, 3, 4, 6]))
        // axis 0: rows appended
        #expect(try Ops.concat([a, H.tensor([1, 2], [7, 8])], axis: 0) == H.tensor([3, 2], [1, 2, 3, 4, 7, 8]))
        #expect(H.mismatchNode(H.graphError { _ = try Ops.concat([a, b], axis: 0, node: "cat") }) == "cat")
        #expect(H.mismatchNode(H.graphError { _ = try Ops.concat([a, b], axis: 2, node: "cat") }) == "cat")
    }

    @Test func passThroughOperatorsInAGraph() throws {
        // Constant c = [10, 20]; y = Dropout(Identity(x)) + c; mask output is all ones.
        let graph = Graph(
            name: "pass", inputs: [ValueInfo(name: "x", shape: [nil, 2])],
            outputs: [ValueInfo(name: "y", shape: [nil, 2]), ValueInfo(name: "mask", shape: [nil, 2])],
            initializers: [:],
            nodes: [
                Node(name: "c", op: .constant(H.tensor([2], [10, 20])), inputs: [], outputs: ["c"]),
                Node(name: "id", op: .identity, inputs: ["x"], outputs: ["i"]),
                Node(name: "drop", op: .dropout, inputs: ["i"], outputs: ["d", "mask"]),
                Node(name: "add", op: .add, inputs: ["d", "c"], outputs: ["y"]),
            ])
        let result = try GraphExecutor(graph: graph).run(["x": H.tensor([1, 2], [1, 2])])
        #expect(result["y"] == H.tensor([1, 2], [11, 22]))
        #expect(result["mask"] == H.tensor([1, 2], [1, 1]))
    }

    @Test func reshapeAndClipInputsInAGraph() throws {
        // Reshape's shape and Clip's bounds come from initializers; an empty name omits min.
        let graph = Graph(
            name: "inputs", inputs: [ValueInfo(name: "x", shape: [nil, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 2, 2])],
            initializers: ["shape": H.tensor([3], [0, 2, 2]), "high": Tensor(scalar: 2)],
            nodes: [
                Node(name: "rs", op: .reshape(allowZero: false), inputs: ["x", "shape"], outputs: ["r"]),
                Node(name: "clip", op: .clip(min: -1, max: nil), inputs: ["r", "", "high"], outputs: ["y"]),
            ])
        // x = [−5, 0, 1, 9] → [1, 2, 2], clipped to [−1 (attribute), 2 (input)] → [−1, 0, 1, 2]
        let result = try GraphExecutor(graph: graph).run(["x": H.tensor([1, 4], [-5, 0, 1, 9])])
        #expect(result["y"] == H.tensor([1, 2, 2], [-1, 0, 1, 2]))
    }

    @Test func squeezeListedOrAllUnitAxes() throws {
        let x = H.random([1, 3, 1, 2], seed: 3)
        // axes [0, −2] remove axes 0 and 2 → [3, 2]; no axes removes every 1 → [3, 2] too.
        #expect(try Ops.squeeze(x, axes: H.tensor([2], [0, -2])) == x.reshaped([3, 2]))
        #expect(try Ops.squeeze(x, axes: nil) == x.reshaped([3, 2]))
        #expect(try Ops.squeeze(x, axes: H.tensor([1], [2])).shape == [1, 3, 2])
        // Axis 1 has extent 3; axis 0 twice; axis 4 out of range.
        for axes in [[1], [0, 0], [4]] as [[Float]] {
            let error = H.graphError { _ = try Ops.squeeze(x, axes: H.tensor([axes.count], axes), node: "sq") }
            #expect(H.mismatchNode(error) == "sq", "\(axes)")
        }
    }

    @Test func unsqueezeInsertsOutputAxes() throws {
        let x = H.random([3, 2], seed: 4)
        // Output rank 4: axes 0 and 3 (= −1) are new → [1, 3, 2, 1]; order of listing does not matter.
        #expect(try Ops.unsqueeze(x, axes: H.tensor([2], [0, 3])) == x.reshaped([1, 3, 2, 1]))
        #expect(try Ops.unsqueeze(x, axes: H.tensor([2], [-1, 0])) == x.reshaped([1, 3, 2, 1]))
        #expect(try Ops.unsqueeze(x, axes: H.tensor([1], [1])).shape == [3, 1, 2])
        #expect(try Ops.unsqueeze(Tensor(scalar: 5), axes: H.tensor([1], [0])) == H.tensor([1], [5]))
        // Axis 1 twice; axis 3 outside rank 3; a fraction.
        for axes in [[1, 1], [3], [0.5]] as [[Float]] {
            let error = H.graphError { _ = try Ops.unsqueeze(x, axes: H.tensor([axes.count], axes), node: "us") }
            #expect(H.mismatchNode(error) == "us", "\(axes)")
        }
    }

    @Test func shapeWithStartAndEnd() {
        let x = Tensor(shape: [2, 3, 4])
        #expect(Ops.shape(of: x) == H.tensor([3], [2, 3, 4]))
        // start −2 → 1: [3, 4]; end −1 → 2: [2, 3]; start 5 clamps to 3: []; start after end: []
        #expect(Ops.shape(of: x, start: -2) == H.tensor([2], [3, 4]))
        #expect(Ops.shape(of: x, end: -1) == H.tensor([2], [2, 3]))
        #expect(Ops.shape(of: x, start: 5) == H.tensor([0], []))
        #expect(Ops.shape(of: x, start: 2, end: 1) == H.tensor([0], []))
        #expect(Ops.shape(of: Tensor(scalar: 1)) == H.tensor([0], []))
    }

    @Test func pyTorchFlattenPatternRuns() throws {
        // x.view(x.size(0), -1) exported: Shape → Gather(0) → Unsqueeze(0) → Concat with [−1] → Reshape.
        let graph = Graph(
            name: "view", inputs: [ValueInfo(name: "x", shape: [nil, 2, 3])],
            outputs: [ValueInfo(name: "y", shape: [nil, 6])],
            initializers: ["zero": Tensor(scalar: 0), "axes": H.tensor([1], [0]), "rest": H.tensor([1], [-1])],
            nodes: [
                Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["x"], outputs: ["s"]),
                Node(name: "batch", op: .gather(axis: 0), inputs: ["s", "zero"], outputs: ["n"]),
                Node(name: "unsqueeze", op: .unsqueeze, inputs: ["n", "axes"], outputs: ["n1"]),
                Node(name: "concat", op: .concat(axis: 0), inputs: ["n1", "rest"], outputs: ["target"]),
                Node(name: "reshape", op: .reshape(allowZero: false), inputs: ["x", "target"], outputs: ["y"]),
            ])
        let x = H.random([4, 2, 3], seed: 5)
        #expect(try GraphExecutor(graph: graph).run(["x": x])["y"] == x.reshaped([4, 6]))
    }
}

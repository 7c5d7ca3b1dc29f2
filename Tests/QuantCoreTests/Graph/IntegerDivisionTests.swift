import Testing

@testable import QuantCore

/// ONNX `Div` on integers truncates toward zero; on floats it does not. Tensors hold every type
/// as `Float`, so the executor decides from the operands' element types (PyTorch's
/// `x.chunk(2, dim=1)` in ShuffleNet v2 computes its split point as `(channels + 1) / 2` from a
/// runtime `Shape`: 24.5 instead of 24 broke the Slice after it).
@Suite struct IntegerDivisionTests {
    /// `Shape(x)[1] + 1` divided by `two`, the pattern PyTorch writes for `chunk`.
    func chunkPoint(twoType: ElementType) -> Graph {
        Graph(
            name: "chunk", inputs: [ValueInfo(name: "x", shape: [nil, nil])],
            outputs: [ValueInfo(name: "half", shape: [1])],
            initializers: ["one": Tensor(shape: [1], storage: [1]), "two": Tensor(shape: [1], storage: [2])],
            initializerTypes: ["one": .int64, "two": twoType],
            nodes: [
                Node(name: "shape", op: .shape(start: 1, end: 2), inputs: ["x"], outputs: ["c"]),
                Node(name: "add", op: .add, inputs: ["c", "one"], outputs: ["c1"]),
                Node(name: "div", op: .div, inputs: ["c1", "two"], outputs: ["half"]),
            ])
    }

    @Test func aDivisionOfRuntimeIntegersTruncates() throws {
        let executor = try GraphExecutor(graph: chunkPoint(twoType: .int64))
        let result = try executor.run(["x": Tensor(shape: [1, 49], repeating: 0)])
        #expect(result["half"]?.storage == [25])  // (49 + 1) / 2
        let odd = try GraphExecutor(graph: chunkPoint(twoType: .int64)).run(["x": Tensor(shape: [3, 48], repeating: 0)])
        #expect(odd["half"]?.storage == [24])  // (48 + 1) / 2 = 24.5 truncated
    }

    @Test func negativeQuotientsTruncateTowardZeroAndFloatsDoNotTruncate() throws {
        let graph = Graph(
            name: "div", inputs: [ValueInfo(name: "a", elementType: .int32, shape: [4])],
            outputs: [ValueInfo(name: "q", shape: [4]), ValueInfo(name: "f", shape: [4])],
            initializers: [
                "b": Tensor(shape: [4], storage: [2, 2, -2, 3]), "x": Tensor(shape: [4], storage: [-7, 7, 7, 1]),
            ],
            initializerTypes: ["b": .int32],
            nodes: [
                Node(name: "q", op: .div, inputs: ["a", "b"], outputs: ["q"]),
                Node(name: "f", op: .div, inputs: ["x", "b"], outputs: ["f"]),
            ])
        let result = try GraphExecutor(graph: graph).run(["a": Tensor(shape: [4], storage: [-7, 7, 7, 1])])
        #expect(result["q"]?.storage == [-3, 3, -3, 0])
        #expect(result["f"]?.storage == [-3.5, 3.5, -3.5, Float(1) / 3])
    }

    @Test func constantFoldingKeepsTheIntegerQuotient() throws {
        let graph = Graph(
            name: "folded", inputs: [ValueInfo(name: "x", shape: [nil, 2])],
            outputs: [ValueInfo(name: "y", shape: [nil, 2])],
            initializers: ["n": Tensor(shape: [1], storage: [5]), "two": Tensor(shape: [1], storage: [2])],
            initializerTypes: ["n": .int64, "two": .int64],
            nodes: [
                Node(name: "div", op: .div, inputs: ["n", "two"], outputs: ["k"]),
                Node(name: "mul", op: .mul, inputs: ["x", "k"], outputs: ["y"]),
            ])
        let folded = try graph.foldingConstants()
        #expect(folded.initializers["k"]?.storage == [2])
    }
}

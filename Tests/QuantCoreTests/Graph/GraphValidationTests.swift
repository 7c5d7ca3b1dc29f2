import Testing

@testable import QuantCore

@Suite struct GraphValidationTests {
    private func graph(_ nodes: [Node], outputs: [String] = ["y"]) -> Graph {
        Graph(
            name: "g", inputs: [ValueInfo(name: "x", shape: [1])],
            outputs: outputs.map { ValueInfo(name: $0, shape: [1]) },
            initializers: ["w": Tensor(shape: [1], storage: [2])], nodes: nodes)
    }

    @Test func sortedGraphIsUnchanged() throws {
        let g = graph([
            Node(name: "a", op: .relu, inputs: ["x"], outputs: ["a"]),
            Node(name: "b", op: .add, inputs: ["a", "w"], outputs: ["y"]),
        ])
        #expect(try g.validated() == g)
    }

    @Test func nodesAreSortedStably() throws {
        // File order: d (needs c), c (needs a), b (independent), a.
        let g = graph(
            [
                Node(name: "d", op: .add, inputs: ["c", "b"], outputs: ["y"]),
                Node(name: "c", op: .relu, inputs: ["a"], outputs: ["c"]),
                Node(name: "b", op: .relu, inputs: ["x"], outputs: ["b"]),
                Node(name: "a", op: .relu, inputs: ["x"], outputs: ["a"]),
            ])
        // b and a are ready first, in file order; c becomes ready after a.
        #expect(try g.validated().nodes.map(\.name) == ["b", "a", "c", "d"])
    }

    @Test func emptyInputNamesAreOmittedOptionals() throws {
        let g = graph([Node(name: "clip", op: .clip(min: nil, max: nil), inputs: ["x", "", "w"], outputs: ["y"])])
        #expect(try g.validated() == g)
    }

    @Test func problemsAreReported() {
        #expect(throws: GraphError.unknownValue(node: "a", value: "q")) {
            try graph([Node(name: "a", op: .relu, inputs: ["q"], outputs: ["y"])]).validated()
        }
        #expect(throws: GraphError.duplicateValue("y")) {
            try graph([
                Node(name: "a", op: .relu, inputs: ["x"], outputs: ["y"]),
                Node(name: "b", op: .relu, inputs: ["x"], outputs: ["y"]),
            ]).validated()
        }
        #expect(throws: GraphError.duplicateValue("w")) {
            try graph([Node(name: "a", op: .relu, inputs: ["x"], outputs: ["w"])], outputs: ["w"]).validated()
        }
        #expect(throws: GraphError.cycle(nodes: ["self"])) {
            try graph([Node(name: "self", op: .add, inputs: ["x", "y"], outputs: ["y"])]).validated()
        }
        #expect(throws: GraphError.missingOutput("z")) {
            try graph([Node(name: "a", op: .relu, inputs: ["x"], outputs: ["y"])], outputs: ["z"]).validated()
        }
    }

    @Test func unnamedNodesAreReportedByTheirOutput() {
        #expect(throws: GraphError.unknownValue(node: "out", value: "q")) {
            try graph([Node(name: "", op: .relu, inputs: ["q"], outputs: ["out"])]).validated()
        }
    }
}

import ArgumentParser
import Foundation
import QuantCore
import QuantTUI

/// `quantdash inspect MODEL`: the graph as text or JSON — inputs, outputs, nodes with output
/// shapes and parameter counts, quantizable layers and the float size.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's graph, shapes, parameters and quantizable layers.",
        discussion: """
            Prints the inputs and outputs with their declared shapes, every node (index, name, \
            operator, inputs → outputs, output shape for a batch of 1, parameters), the \
            quantizable layers under the names plans use, with their weight shapes, and the \
            float32 size. Output shapes are measured by running the model once on zeros. A model \
            with an operator quantdash does not support fails with one line naming it.

            Examples:
              quantdash inspect demo-cnn
              quantdash inspect model.onnx --json
            """
    )

    @Argument(help: ArgumentHelp("demo-mlp, demo-cnn or an ONNX file.", valueName: "model"))
    var model: String

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let choice = try ModelChoice(model)
        let graph = try choice.load()
        let summary: GraphSummary
        do {
            summary = try graph.summary()
        } catch let error as GraphError {
            throw ModelIOError.invalidGraph(path: model, error)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(InspectReport(model: model, summary: summary)), as: UTF8.self))
        } else {
            print(InspectCommand.text(of: summary, model: model))
        }
    }

    /// The JSON form: the summary with the model name typed.
    private struct InspectReport: Encodable {
        var model: String
        var summary: GraphSummary

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(summary.name, forKey: .graph)
            try container.encode(summary.inputs, forKey: .inputs)
            try container.encode(summary.outputs, forKey: .outputs)
            try container.encode(summary.nodes, forKey: .nodes)
            try container.encode(summary.layers, forKey: .layers)
            try container.encode(summary.parameterCount, forKey: .parameterCount)
            try container.encode(summary.floatBytes, forKey: .floatBytes)
        }

        private enum CodingKeys: String, CodingKey {
            case model, graph, inputs, outputs, nodes, layers, parameterCount, floatBytes
        }
    }

    /// The text form.
    static func text(of summary: GraphSummary, model: String) -> String {
        var lines: [String] = []
        let name = summary.name.isEmpty ? "" : " (graph '\(summary.name)')"
        lines.append(
            "\(model)\(name): \(summary.nodes.count) nodes, \(summary.layers.count) quantizable layers, "
                + "\(Formatting.grouped(summary.parameterCount)) parameters")
        lines.append("")
        lines.append("inputs and outputs (declared shapes)")
        lines += table(
            rows: summary.inputs.map { ["input", $0.name, $0.shapeLabel] }
                + summary.outputs.map { ["output", $0.name, $0.shapeLabel] },
            rightAligned: [])
        lines.append("")
        lines.append("nodes (output shapes for a batch of 1)")
        let nodeRows = summary.nodes.map { node in
            [
                String(node.index), node.name, node.op,
                node.inputs.joined(separator: ", ") + " → " + node.outputs.joined(separator: ", "),
                node.outputShapes.map(shapeLabel).joined(separator: ", "),
                node.parameterCount == 0 ? "" : Formatting.grouped(node.parameterCount),
            ]
        }
        lines += table(
            rows: [["#", "name", "op", "inputs → outputs", "output shape", "parameters"]] + nodeRows,
            rightAligned: [0, 5])
        lines.append("")
        lines.append("quantizable layers (the names plans use)")
        let layerRows = summary.layers.map { layer in
            [layer.name, layer.op, shapeLabel(layer.weightShape), Formatting.grouped(layer.parameterCount)]
        }
        lines += table(rows: [["layer", "op", "weight shape", "parameters"]] + layerRows, rightAligned: [3])
        lines.append("")
        lines.append(
            "parameters \(Formatting.grouped(summary.parameterCount)); float32 size "
                + "\(Formatting.bytes(summary.floatBytes)) (\(Formatting.grouped(summary.floatBytes)) bytes)")
        return Printable.text(lines.joined(separator: "\n"))
    }

    /// `[1, 256]` → `"1×256"`; a scalar is `"scalar"`.
    private static func shapeLabel(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }

    /// Rows as aligned columns, indented by two spaces, three spaces between columns.
    private static func table(rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let rows = rows.map { $0.map { Printable.name($0, limit: 2 * Printable.nameLimit) } }
        guard let columnCount = rows.map(\.count).max() else { return [] }
        let widths = (0..<columnCount).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { cells in
            let padded = cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }
            return ("  " + padded.joined(separator: "   ")).trimmingTrailingSpaces()
        }
    }
}

import Foundation
import QuantCore

/// What `quantdash eval` reports, as text or as one JSON object.
struct EvalSummary: Codable {
    /// The model evaluated.
    struct Model: Codable {
        var name: String
        var path: String
        var parameters: Int
    }
    /// The data set evaluated on.
    struct DataSet: Codable {
        var name: String
        var count: Int
        var classes: Int
    }
    /// Held-out accuracy figures.
    struct Accuracy: Codable {
        var top1: Double
        var top5: Double
        var nll: Double
        var correct: Int
        var count: Int
        var top1Interval95: [Double]
    }
    /// Bytes of the model as exported.
    struct Size: Codable {
        var floatBytes: Int
        var bytes: Int
        var compressionRatio: Double
    }
    /// One quantizable layer.
    struct LayerRow: Codable {
        var name: String
        var op: String
        var weightShape: [Int]
        var parameters: Int
    }

    var model: Model
    var data: DataSet
    var accuracy: Accuracy
    var size: Size
    var layers: [LayerRow]

    /// The JSON form: pretty-printed, keys sorted.
    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The human-readable form.
    func text() -> String {
        var lines: [String] = []
        lines.append("\(model.name) on \(data.name): \(data.count) held-out images, \(data.classes) classes")
        lines.append("")
        let interval = accuracy.top1Interval95.map { String(format: "%.1f", $0 * 100) }.joined(separator: "–")
        lines.append("  held-out top-1   \(percent(accuracy.top1))   (\(accuracy.correct)/\(accuracy.count); 95 % interval \(interval) %)")
        lines.append("  held-out top-5   \(percent(accuracy.top5))")
        lines.append("  mean NLL         \(String(format: "%.4f", accuracy.nll))")
        lines.append(
            "  size             \(formatBytes(size.bytes)) (float32 \(formatBytes(size.floatBytes)), \(String(format: "%.2f", size.compressionRatio))×, \(grouped(model.parameters)) parameters)")
        lines.append("")
        let header = ["layer", "op", "weight shape", "parameters"]
        let rows = layers.map { [$0.name, $0.op, $0.weightShape.map(String.init).joined(separator: "×"), grouped($0.parameters)] }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let render: ([String]) -> String = { cells in
            "  " + cells.enumerated().map { column, cell in
                column == cells.count - 1
                    ? String(repeating: " ", count: widths[column] - cell.count) + cell
                    : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "   ")
        }
        lines.append(render(header))
        lines += rows.map(render)
        return lines.joined(separator: "\n")
    }
}

/// `0.953` → `" 95.30 %"`.
func percent(_ fraction: Double) -> String { String(format: "%6.2f %%", fraction * 100) }

/// `1234567` → `"1,234,567"`.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}

/// Bytes in B, KiB or MiB with one decimal.
func formatBytes(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
    return String(format: "%.2f MiB", Double(bytes) / (1024 * 1024))
}

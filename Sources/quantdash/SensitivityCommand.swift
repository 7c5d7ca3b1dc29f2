import ArgumentParser
import Foundation
import QuantCore

/// `quantdash sensitivity`: per layer, top-1 with only this layer at each menu option and with
/// all layers but this one at the plan; shards and their merge.
struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Measure how much each layer's quantization costs in held-out accuracy.",
        discussion: """
            For every layer: held-out top-1 and agreement with float with only this layer at each \
            option of the menu (its scheme at 8, 6, 4, 3, 2 bits unless --menu/--prune say \
            otherwise), every Δ against float with its paired 95 % interval (from the predictions \
            flipped each way), the layer's bytes and RMSE/scale (0.289 is ideal, above 0.7 suspect); \
            and top-1 with all layers but this one at --plan. Only the graph after each layer is \
            re-run. Progress goes to stderr.

            --shard I/N measures layers I, I+N, I+2N, … (counting from 1) and writes a partial \
            table; --merge combines the partial tables of one analysis into the full one:
              parallel quantdash sensitivity --model m.onnx --data d.npz --shard {}/8 --json --out part{}.json ::: 1 2 3 4 5 6 7 8
              quantdash sensitivity --merge part*.json --out table.json

            Examples:
              quantdash sensitivity --model demo-cnn --json
              quantdash sensitivity --model demo-mlp --menu 8,4,2 --prune 0.5 --plan plan.json
              quantdash sensitivity --model demo-cnn --split validation --json --out table.json
            """)

    @OptionGroup var inputs: ModelDataOptions
    @OptionGroup var tuning: TuningOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Samples to measure on: held-out (all), or validation (what search tunes on; see --validation).",
            valueName: "held-out|validation"))
    var split = "held-out"

    @Option(name: .long, help: ArgumentHelp("Measure only shard I of N (1 ≤ I ≤ N).", valueName: "I/N"))
    var shard: String?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Combine these partial tables (from --shard) instead of measuring.", valueName: "tables"))
    var merge: [String] = []

    @Option(name: .long, help: ArgumentHelp("Write the JSON table to this file.", valueName: "path"))
    var out: String?

    @Flag(name: .long, help: "Print the table as JSON instead of text.")
    var json = false

    func validate() throws {
        if let shard { _ = try parseShard(shard) }
        guard ["held-out", "validation"].contains(split) else {
            throw ValidationError("--split \(split): expected held-out or validation")
        }
    }

    func run() throws {
        let table: SensitivityTable
        if !merge.isEmpty {
            table = try SensitivityTable.merged(
                merge.map { ($0, try SensitivityTable.load(contentsOf: URL(fileURLWithPath: $0))) })
            if !table.missingLayers.isEmpty {
                QuantdashCommand.writeToStandardError(
                    "warning: the merged table lacks \(table.missingLayers.count) of \(table.modelLayers.count) layers "
                        + "(first: \(Printable.name(table.missingLayers[0])))\n")
            }
        } else {
            let setup = try TuningSetup.prepare(
                inputs: inputs, options: tuning, samples: split == "validation" ? .validation : .heldOut)
            let plan = try setup.basePlan(tuning.plan)
            let progress = TuningProgress()
            defer { progress.finish() }
            table = try setup.tuning.run(
                menu: try tuning.tuningMenu(defaultSparsities: []), plan: plan, shard: try shard.map(parseShard),
                progress: {
                    progress.report(
                        $0.summary, fraction: (Double($0.done) + ($0.running ?? 0)) / Double(max($0.total, 1)))
                })
        }
        let data = try table.encoded()
        if let out {
            do {
                try AtomicFile.write(data, to: URL(fileURLWithPath: out))
            } catch {
                throw CommandFailure("\(out): cannot be written (\(error))")
            }
        }
        if json {
            FileHandle.standardOutput.write(data)
        } else {
            print(SensitivityCommand.text(table))
        }
    }

    /// The table as text: one line per layer, Δ points per option, then all-but-this and RMSE/scale.
    static func text(_ table: SensitivityTable) -> String {
        func points(_ figure: SensitivityTable.Figure) -> String {
            String(format: "%+.1f", figure.deltaPoints)
        }
        var lines = [
            String(
                format: "float top-1 %.2f %% on %d samples; current plan %.2f %% (Δ %+.2f pt, 95 %% %+.2f…%+.2f)",
                table.float.top1 * 100, table.sampleCount, table.current.top1 * 100, table.current.deltaPoints,
                table.current.interval95Points[0], table.current.interval95Points[1]),
            "Δ top-1 (points) with only this layer at each option; all-but: every other layer as planned",
        ]
        let width = max(8, table.layers.map(\.name.count).max() ?? 0)
        let header =
            ["layer".padding(toLength: width, withPad: " ", startingAt: 0)]
            + table.menu.map { "\($0)".padding(toLength: 9, withPad: " ", startingAt: 0) } + ["all-but", "rmse/scale"]
        lines.append(header.joined(separator: " "))
        for row in table.layers {
            var cells = [Printable.name(row.name).padding(toLength: width, withPad: " ", startingAt: 0)]
            cells += row.options.map { points($0.figure).padding(toLength: 9, withPad: " ", startingAt: 0) }
            cells.append(points(row.allButThis).padding(toLength: 7, withPad: " ", startingAt: 0))
            cells.append(
                row.rmseOverScale.map { String(format: "%.3f", $0) + (row.isSuspect ? " suspect" : "") } ?? "—")
            lines.append(cells.joined(separator: " "))
        }
        if let shard = table.shard { lines.append("shard \(shard.index)/\(shard.count): \(table.layers.count) layers") }
        return lines.joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import QuantCore

/// `quantdash search`: the smallest plan within an accuracy budget, or the most accurate within
/// a size budget, tuned on a validation split and reported on the held-out set separately.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find a per-layer plan within an accuracy or size budget.",
        discussion: """
            Measures each layer's sensitivity on the validation samples (or reads --sensitivity, \
            a table from `quantdash sensitivity --split validation`), proposes plans from it \
            (a Lagrangian relaxation over per-layer options: float and every bit width of the \
            menu, each also pruned by --prune), evaluates proposals exactly, and refines them by \
            changing one or two layers at a time. Tuning sees only the validation samples (by \
            default the even-numbered held-out samples); the chosen plan's figures on the whole \
            held-out set and on the unseen odd-numbered half are reported separately. The plan \
            written is an ordinary plan with its held-out results as provenance: `quantdash eval \
            --plan` reproduces them.

            Examples:
              quantdash search --max-drop 1 --out small.json
              quantdash search --model demo-cnn --target-size 20K --out fit.json --json
              quantdash search --model m.onnx --data d.npz --max-drop 0.5 --sensitivity table.json --out plan.json
            """)

    @OptionGroup var inputs: ModelDataOptions
    @OptionGroup var tuning: TuningOptions

    @Option(
        name: .long, help: ArgumentHelp("The most top-1 points below float the plan may lose.", valueName: "points"))
    var maxDrop: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("The largest model size: bytes (20K, 1.5M) or a ratio to float (8x).", valueName: "size"))
    var targetSize: String?

    @Option(name: .long, help: ArgumentHelp("Write the plan found here.", valueName: "path"))
    var out: String

    @Flag(name: .long, help: "Overwrite --out if it exists.")
    var force = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A sensitivity table measured on the same validation samples (e.g. merged shards).", valueName: "path"))
    var sensitivity: String?

    @Option(name: .long, help: ArgumentHelp("The most exact evaluations (default 300).", valueName: "n"))
    var maxEvaluations = 300

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard (maxDrop == nil) != (targetSize == nil) else {
            throw ValidationError("give exactly one of --max-drop POINTS and --target-size SIZE")
        }
        if let maxDrop, !(maxDrop >= 0 && maxDrop <= 100) {
            throw ValidationError("--max-drop \(maxDrop): expected points between 0 and 100")
        }
        if let targetSize { _ = try SearchCommand.parseTarget(targetSize, floatBytes: 1) }
        if maxEvaluations < 1 { throw ValidationError("--max-evaluations must be at least 1") }
    }

    /// `20K` → 20480 bytes; `8x` → a ratio of 8 to `floatBytes`.
    static func parseTarget(_ text: String, floatBytes: Int) throws -> Int {
        let lower = text.lowercased()
        if lower.hasSuffix("x"), let ratio = Double(lower.dropLast()), ratio >= 1, ratio.isFinite {
            return Int((Double(floatBytes) / ratio).rounded(.down))
        }
        guard let size = ByteSize(argument: text), size.bytes > 0 else {
            throw ValidationError("--target-size \(text): expected bytes (20K, 1.5M) or a ratio such as 8x")
        }
        return size.bytes
    }

    func run() throws {
        if !force, FileManager.default.fileExists(atPath: out) {
            throw CommandFailure("\(out) exists; pass --force to overwrite it")
        }
        let started = Date()
        let setup = try TuningSetup.prepare(inputs: inputs, options: tuning, samples: .validation)
        let base = try setup.basePlan(tuning.plan)
        let progress = TuningProgress()
        defer { progress.finish() }
        let table: SensitivityTable
        if let sensitivity {
            table = try SensitivityTable.load(contentsOf: URL(fileURLWithPath: sensitivity))
            guard table.dataSHA256 == setup.tuning.dataSHA256, table.modelSHA256 == setup.tuning.modelSHA256 else {
                throw CommandFailure(
                    "\(sensitivity): measured on another model or other samples (make it with the same --model, "
                        + "--data options and `--split validation`)")
            }
        } else {
            table = try setup.tuning.run(
                menu: try tuning.tuningMenu(defaultSparsities: TuningMenu.search.sparsities), plan: base,
                progress: { progress.report($0.summary, fraction: Double($0.done) / Double(max($0.total, 1))) })
        }
        let search: PlanSearch
        do {
            search = try PlanSearch(sensitivity: setup.tuning, table: table)
        } catch let error as TuningError {
            throw CommandFailure("\(sensitivity ?? "sensitivity"): \(error)")
        }
        search.maxEvaluations = maxEvaluations
        let goal: SearchGoal =
            if let maxDrop { .maxDrop(points: maxDrop) } else {
                .targetBytes(try SearchCommand.parseTarget(targetSize ?? "", floatBytes: table.float.bytes))
            }
        let result = try search.run(
            goal,
            progress: { step in
                let best = step.best.map { "best \(Formatting.bytes($0.evaluation.bytes))" } ?? "nothing yet"
                progress.report("search: \(step.evaluations) evaluations · \(best)", fraction: 0)
            })
        progress.finish()
        guard let best = result.best else {
            if case .targetBytes(let limit) = goal {
                let smallest = search.bytes.reduce(search.otherBytes) { $0 + ($1.min() ?? 0) }
                throw CommandFailure(
                    "no plan of at most \(Formatting.bytes(limit)) found; the menu's smallest options give about "
                        + "\(Formatting.bytes(smallest)) (try lower bit widths with --menu or more pruning with --prune)"
                )
            }
            throw CommandFailure("no plan within the accuracy budget found")
        }
        let summary = try SearchSummary.make(
            setup: setup, table: table, best: best, result: result, goal: goal,
            seconds: Date().timeIntervalSince(started),
            out: out)
        do {
            try summary.plan.write(to: URL(fileURLWithPath: out))
        } catch let error as PlanError {
            throw CommandFailure("\(error)")
        }
        print(json ? try summary.jsonString() : summary.text())
    }
}

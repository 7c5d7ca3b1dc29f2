import ArgumentParser
import Foundation
import QuantCore

/// Options shared by `sensitivity` and `search`: the menu, shards and the validation split.
struct TuningOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Bit widths measured per layer, comma-separated (default: 8,6,4,3,2).", valueName: "bits"))
    var menu: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Pruned fractions combined with every bit width, comma-separated, e.g. 0.5 (sensitivity default: "
                + "none; search default: 0.5; 'none' for none).", valueName: "fractions"))
    var prune: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A plan whose schemes the options keep and, for sensitivity, the 'all but this layer' context.",
            valueName: "path"))
    var plan: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A separate validation set (same format and options as --data) to tune on; default: the "
                + "even-numbered held-out samples (the odd ones stay unseen).", valueName: "path"))
    var validation: String?

    @Option(
        name: .customLong("validation-labels"),
        help: ArgumentHelp("The labels file of --validation for .npy or IDX images.", valueName: "path"))
    var validationLabels: String?

    /// The menu, with `defaultSparsities` when `--prune` is not given.
    func tuningMenu(defaultSparsities: [Double]) throws -> [TuningOption] {
        let bits =
            try menu.map { text in
                try text.split(separator: ",", omittingEmptySubsequences: false).map { part -> Int in
                    guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--menu \(text): expected bit widths such as 8,6,4,3,2")
                    }
                    return value
                }
            } ?? TuningMenu.standard.bits
        var sparsities = defaultSparsities
        if let prune {
            sparsities =
                prune == "none"
                ? []
                : try prune.split(separator: ",", omittingEmptySubsequences: false).map { part in
                    guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--prune \(prune): expected fractions such as 0.5,0.75 or 'none'")
                    }
                    return value
                }
        }
        do {
            return try TuningMenu(bits: bits, sparsities: sparsities).validated().options
        } catch let error as TuningError {
            throw ValidationError("--menu/--prune: \(error)")
        }
    }
}

/// Parses `--shard I/N` (1 ≤ I ≤ N).
func parseShard(_ text: String) throws -> SensitivityTable.Shard {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
        (1...count).contains(index)
    else { throw ValidationError("--shard \(text): expected I/N with 1 ≤ I ≤ N, e.g. 2/8") }
    return .init(index: index, count: count)
}

/// The model and data of a tuning command, loaded once: the samples tuned on, the full
/// held-out set, and the unseen half when the validation split is the default one.
struct TuningSetup {
    /// Which samples the tuning runs on.
    enum Samples {
        /// The whole held-out set.
        case heldOut
        /// `--validation FILE`, else the even-numbered held-out samples.
        case validation
    }

    var model: ModelChoice
    var data: DataChoice
    var modelReference: FileReference
    var dataReference: FileReference
    /// The float model.
    var graph: Graph
    /// The full held-out set (what `quantdash eval` reports on).
    var heldOut: Workbench
    /// The samples tuned on, with their cache of exact results.
    var tuning: Sensitivity
    /// The held-out samples the tuning never saw (odd-numbered), for the default split.
    var unseen: Workbench?
    /// `validation: even-numbered 500 of 1000 held-out samples`.
    var samplesNote: String

    static func prepare(inputs: ModelDataOptions, options: TuningOptions, samples: Samples) throws -> TuningSetup {
        let model = try inputs.modelChoice()
        let data = try inputs.dataChoice()
        let modelReference = try model.reference()
        let dataReference = try data.reference()
        let graph = try model.load()
        let heldOutSet = try data.load(for: graph)
        let calibration = try data.calibrationSet(count: inputs.calibrationCount)
        func workbench(_ set: Dataset) throws -> Workbench {
            let workbench = try data.workbench(of: graph, heldOut: set, calibration: calibration, model: model)
            workbench.batchSize = Workbench.recommendedBatchSize(sampleElementCount: set.sampleElementCount, limit: 250)
            return workbench
        }
        let heldOut = try workbench(heldOutSet)
        var tuningSet = heldOutSet
        var unseen: Workbench?
        var split = "held-out"
        var note = "all \(heldOutSet.count) held-out samples"
        if samples == .validation {
            if let path = options.validation {
                var choice = data
                choice.name = path
                choice.labels = options.validationLabels
                choice.options.labelsPath = options.validationLabels
                choice.options.limit = nil
                tuningSet = try choice.load(for: graph)
                split =
                    "validation " + (try DataChoice(name: path, labels: options.validationLabels).reference().sha256)
                note = "\(tuningSet.count) samples of \(path)"
            } else {
                guard heldOutSet.count >= 2 else {
                    throw CommandFailure(
                        "\(data.name): \(heldOutSet.count) sample cannot be split in half for validation")
                }
                let even = stride(from: 0, to: heldOutSet.count, by: 2).map { $0 }
                let odd = stride(from: 1, to: heldOutSet.count, by: 2).map { $0 }
                tuningSet = heldOutSet.picking(even, name: heldOutSet.name)
                unseen = try workbench(heldOutSet.picking(odd, name: heldOutSet.name))
                split = "validation even-numbered"
                note = "the even-numbered \(even.count) of \(heldOutSet.count) held-out samples (validation)"
            }
        }
        let digest = FileDigest.sha256(of: Data("\(dataReference.sha256)\n\(data.options)\n\(split)".utf8))
        let tuning = Sensitivity(
            workbench: tuningSet.count == heldOutSet.count && samples == .heldOut ? heldOut : try workbench(tuningSet),
            modelSHA256: modelReference.sha256, dataSHA256: digest)
        return TuningSetup(
            model: model, data: data, modelReference: modelReference, dataReference: dataReference, graph: graph,
            heldOut: heldOut, tuning: tuning, unseen: unseen, samplesNote: note)
    }

    /// The plan of `--plan`, checked against the model (float when not given).
    func basePlan(_ path: String?) throws -> QuantPlan {
        guard let path else { return QuantPlan() }
        return try EvalRun.loadPlan(planPath: path, layerNames: heldOut.layerNames)
    }
}

/// Tuning progress on stderr once the work has taken a second: one line per step on a terminal
/// (redrawn in place), at most one line per 10 % or 5 s in a log.
final class TuningProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPrinted: (fraction: Double, time: Double)?
    private var isShown = false

    /// Reports `line` at `fraction` done.
    func report(_ line: String, fraction: Double) {
        lock.withLock {
            let now = Date().timeIntervalSince(start)
            guard now >= ProgressPrinter.defaultDelay else { return }
            if isTerminal {
                QuantdashCommand.writeToStandardError("\r\u{1B}[K" + Printable.text(line))
                isShown = true
                return
            }
            if let last = lastPrinted, fraction < 1, fraction - last.fraction < 0.1, now - last.time < 5 { return }
            lastPrinted = (fraction, now)
            QuantdashCommand.writeToStandardError(Printable.text(line) + "\n")
        }
    }

    /// Ends the terminal line.
    func finish() {
        lock.withLock {
            if isShown { QuantdashCommand.writeToStandardError("\r\u{1B}[K") }
            isShown = false
        }
    }
}

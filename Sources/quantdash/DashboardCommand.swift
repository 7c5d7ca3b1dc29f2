import ArgumentParser
import Foundation
import NcursesBackend
import QuantCore
import QuantTUI

/// `quantdash dashboard` (the default): the interactive terminal dashboard.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Tune per-layer quantization interactively in the terminal (the default command).",
        discussion: """
            Opens the dashboard on a model and a held-out data set (the bundled demo by default). \
            Every change re-quantizes the layer at once and re-evaluates the model on the held-out \
            set in the background: a quick estimate first, then the exact figure. Press ? inside \
            for the keys.

            Examples:
              quantdash
              quantdash dashboard --model demo-cnn
              quantdash dashboard --model model.onnx --data images.idx3-ubyte --labels labels.idx1-ubyte
            """
    )

    @OptionGroup var inputs: ModelDataOptions

    @Option(name: .long, help: ArgumentHelp("Open this session preset from the sessions folder.", valueName: "name"))
    var session: String?

    @Option(name: .long, help: ArgumentHelp("Where session presets are kept.", valueName: "folder"))
    var sessionsFolder = "Sessions"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bytes of held-out activations kept so a change re-runs only the graph after it (512M, 2G; "
                + "default: an eighth of physical memory, at most 4G).", valueName: "size"))
    var cacheBudget = ByteSize(bytes: Workbench.defaultActivationCacheBytes)

    @Option(
        name: .customLong("train-data"),
        help: ArgumentHelp(
            "Training data for fine-tuning (T), read like --data (default for the demo data: the bundled 4000 "
                + "training digits); never the held-out --data.", valueName: "file"))
    var trainData: String?

    @Option(
        name: .customLong("train-labels"),
        help: ArgumentHelp("Labels for --train-data, when they are in a file of their own.", valueName: "file"))
    var trainLabels: String?

    @Flag(
        name: .customLong("no-sensitivity"),
        help: "Do not measure per-layer sensitivity in the background (it runs only while the plan's own work is done)."
    )
    var noSensitivity = false

    func run() throws {
        let isSupervised = TerminalSupervisor.isSupervisedChild()
        if !isSupervised, let outcome = TerminalSupervisor.runSupervisedChild(arguments: CommandLine.arguments) {
            if let signal = outcome.signal {
                let restored = outcome.restoredTerminal ? "; the terminal was restored" : ""
                let line =
                    "quantdash: the dashboard was ended by \(TerminalSupervisor.signalName(signal))\(restored). "
                    + autosaveReport(ownerProcess: getpid()) + "\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            throw ExitCode(outcome.status)
        }
        let folder = URL(fileURLWithPath: sessionsFolder, isDirectory: true)
        let inputs = try inputsOpening(session, in: SessionStore(folder: folder))
        let modelChoice = try inputs.modelChoice()
        let dataChoice = try inputs.dataChoice()
        let graph = try modelChoice.load()
        let workbench = try dataChoice.workbench(
            of: graph, heldOut: try dataChoice.load(for: graph),
            calibration: try dataChoice.feeding(graph).calibrationSet(count: inputs.calibrationCount),
            model: modelChoice)
        workbench.batchSize = Workbench.recommendedBatchSize(
            sampleElementCount: workbench.heldOut.sampleElementCount, limit: 250)
        workbench.activationCacheBytes = cacheBudget.bytes
        var state = AppState(layers: workbench.layers, modelName: modelChoice.name, dataName: dataChoice.name)
        state.sessionsFolder = sessionsFolder
        state.workingFolder = FileManager.default.currentDirectoryPath
        // A model with several inputs or outputs: say which one the dashboard uses (a preset's
        // own message, set below, takes the status bar instead).
        if let note = workbench.ioNote { state.message = StatusMessage(note) }
        for layer in workbench.layers {
            let weights = graph.initializers[layer.weightName]?.storage ?? []
            state.maxMagnitudes[layer.name] = weights.reduce(0) { max($0, abs($1)) }
            state.weightMagnitudes[layer.name] = WeightMagnitudes(weights)
            state.equalizationProblems[layer.name] = workbench.equalizationProblem(for: layer)
            state.equalizationPartners[layer.name] = workbench.equalizationPartner(of: layer)?.name
            state.filterPruningProblems[layer.name] = workbench.filterPruningProblem(for: layer)
        }
        let model = try modelChoice.reference()
        let data = try dataChoice.reference()
        // The autosave belongs to this model, this data and this running dashboard: the
        // supervisor's process when supervised (it reports the file if the dashboard is killed).
        let slot = AutosaveSlot(
            modelSHA: model.sha256, dataSHA: data.sha256, processID: isSupervised ? getppid() : getpid())
        let persistence = SessionPersistence(
            store: SessionStore(folder: folder, autosaveSlot: slot), model: model, data: data, workbench: workbench,
            evalArguments: inputs.evalArguments())
        var sensitivity: Sensitivity?
        if !noSensitivity {
            // Its own workbench: the analysis's activation cache must not evict the plan's.
            let analysis = try Workbench(graph: graph, heldOut: workbench.heldOut, calibration: workbench.calibration)
            analysis.batchSize = workbench.batchSize
            analysis.activationCacheBytes = cacheBudget.bytes
            // The samples as loaded: the file, its loading options and the calibration set
            // (a preset's saved results are restored only for the same ones).
            let samples = FileDigest.sha256(
                of: Data("\(data.sha256)\n\(dataChoice.options)\ncalibration \(inputs.calibrationCount)".utf8))
            sensitivity = Sensitivity(workbench: analysis, modelSHA256: model.sha256, dataSHA256: samples)
        }
        persistence.sensitivity = sensitivity
        if let session {
            let loaded = try persistence.load(name: session, layerNames: workbench.layerNames)
            if let other = loaded.otherModel {
                throw CLIError(
                    message: "preset \(session) was made for model \(other), not \(inputs.model): leave out --model "
                        + "to open it with its own model, or load it with o in the dashboard to apply it to this one")
            }
            Reducer.open(&state, loaded)
        }
        let finetune = try finetuneTraining(inputs: inputs, data: dataChoice)
        let backend: NcursesBackend
        do {
            backend = try NcursesBackend.start()
        } catch {
            throw CLIError(message: error.description)
        }
        let app = DashboardApp(
            workbench: workbench, backend: backend, state: state, persistence: persistence, sensitivity: sensitivity,
            finetune: finetune.map { ($0, FineTuner.Options()) })
        app.run()
        backend.stop()
    }

    /// The model and data options, with `--session`'s preset supplying the model and data the
    /// command line leaves out, so a preset opens with its own model and data.
    private func inputsOpening(_ session: String?, in store: SessionStore) throws -> ModelDataOptions {
        var options = inputs
        guard let session else { return options }
        let preset = try store.load(named: session)
        let arguments = CommandLine.arguments
        let given = { (option: String) in arguments.contains { $0 == option || $0.hasPrefix(option + "=") } }
        if !given("--model") { options.model = preset.model.path }
        if !given("--data") {
            options.data = preset.data.path
            options.labels = preset.data.labelsPath
        }
        for (kind, path) in [("model", options.model), ("data", options.data)]
            + [options.labels].compactMap({
                $0.map { ("labels", $0) }
            }) where BundledModel(commandLineName: path) == nil && path != "demo"
        {
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError(
                    message: "preset \(session): its \(kind) file \(path) does not exist "
                        + "(recorded in \(store.folder.relativePath)/\(session).json; pass --\(kind) to use another file)"
                )
            }
        }
        return options
    }

    /// What the supervisor says is on disk after its dashboard was killed: the autosave it
    /// wrote (with its time), or that there is none.
    private func autosaveReport(ownerProcess: Int32) -> String {
        let folder = URL(fileURLWithPath: sessionsFolder, isDirectory: true)
        let saved = SessionStore.autosaves(ofProcess: ownerProcess, in: folder).compactMap { url in
            (try? SessionPreset.load(contentsOf: url)).map { (url, $0) }
        }.max { $0.1.updatedAt < $1.1.updatedAt }
        guard let (url, preset) = saved else {
            return "Nothing was autosaved in \(sessionsFolder)/ (no unsaved changes, or the autosave could not be "
                + "written): changes not saved with w are lost."
        }
        let time = Timestamp.string(from: preset.updatedAt).replacingOccurrences(of: "T", with: " ")
        return "The changes up to \(time) are autosaved in \(url.relativePath): start quantdash again on "
            + "\(preset.model.path) and \(preset.data.path) to restore them."
    }
}

/// A failure already phrased for the user, printed as one line.
struct CLIError: Error, CustomStringConvertible {
    /// The line.
    var message: String
    var description: String { message }
}

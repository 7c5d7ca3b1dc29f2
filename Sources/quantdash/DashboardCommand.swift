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

    func run() throws {
        if !TerminalSupervisor.isSupervisedChild(),
            let outcome = TerminalSupervisor.runSupervisedChild(arguments: CommandLine.arguments)
        {
            if let signal = outcome.signal {
                let restored = outcome.restoredTerminal ? "; the terminal was restored" : ""
                let line =
                    "quantdash: the dashboard was ended by \(TerminalSupervisor.signalName(signal))\(restored). "
                    + "Changes are autosaved in \(sessionsFolder)/\(SessionStore.autosaveFileName): "
                    + "start quantdash again to restore them.\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            throw ExitCode(outcome.status)
        }
        let modelChoice = try inputs.modelChoice()
        let dataChoice = try inputs.dataChoice()
        let graph = try modelChoice.load()
        let workbench = try Workbench(
            graph: graph, heldOut: try dataChoice.load(for: graph),
            calibration: try dataChoice.calibrationSet(count: inputs.calibrationCount))
        workbench.batchSize = Workbench.recommendedBatchSize(
            sampleElementCount: workbench.heldOut.sampleElementCount, limit: 250)
        workbench.activationCacheBytes = cacheBudget.bytes
        var state = AppState(layers: workbench.layers, modelName: modelChoice.name, dataName: dataChoice.name)
        for layer in workbench.layers {
            let weights = graph.initializers[layer.weightName]?.storage ?? []
            state.maxMagnitudes[layer.name] = weights.reduce(0) { max($0, abs($1)) }
        }
        let store = SessionStore(folder: URL(fileURLWithPath: sessionsFolder, isDirectory: true))
        let persistence = SessionPersistence(
            store: store, model: try modelChoice.reference(), data: try dataChoice.reference(), workbench: workbench)
        if let session {
            let (plan, warning) = try persistence.load(name: session, layerNames: workbench.layerNames)
            state.plan = plan
            state.sessionName = session
            state.message =
                warning.map { StatusMessage($0, isError: true) } ?? StatusMessage("opened preset \(session)")
        }
        let backend: NcursesBackend
        do {
            backend = try NcursesBackend.start()
        } catch {
            throw CLIError(message: error.description)
        }
        let app = DashboardApp(workbench: workbench, backend: backend, state: state, persistence: persistence)
        app.run()
        backend.stop()
    }
}

/// A failure already phrased for the user, printed as one line.
struct CLIError: Error, CustomStringConvertible {
    /// The line.
    var message: String
    var description: String { message }
}

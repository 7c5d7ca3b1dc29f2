import ArgumentParser
import Foundation
import QuantCore

@main
struct QuantdashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantdash",
        abstract: "Interactive per-layer quantization of neural networks, in the terminal.",
        discussion: """
            Without a subcommand, quantdash opens the interactive dashboard on the bundled demo \
            (an MLP and a CNN trained on real MNIST digits).
            """,
        version: "0.1.0",
        subcommands: [
            DashboardCommand.self, EvalCommand.self, ExportCommand.self, InspectCommand.self, TrainCommand.self,
            FinetuneCommand.self,
            SensitivityCommand.self, SearchCommand.self,
        ],
        defaultSubcommand: DashboardCommand.self
    )
}

import ArgumentParser
import Foundation
import QuantCore

@main
struct QuantdashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantdash",
        abstract: "Interactive per-layer quantization of neural networks, in the terminal.",
        discussion: """
            Without a subcommand, quantdash evaluates the bundled demo model on the bundled \
            held-out MNIST digits (the interactive dashboard will take this place).
            """,
        version: "0.1.0",
        subcommands: [EvalCommand.self, ExportCommand.self, TrainCommand.self],
        defaultSubcommand: EvalCommand.self
    )
}

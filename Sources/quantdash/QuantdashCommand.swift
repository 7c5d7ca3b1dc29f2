import ArgumentParser
import QuantCore

@main
struct QuantdashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantdash",
        abstract: "Interactive per-layer quantization of neural networks, in the terminal.",
        subcommands: []
    )

    mutating func run() async throws {
        print("quantdash")
    }
}

import Foundation

/// The peers' side: `Benchmarks/peers/peers.py` (onnxruntime and a PyTorch loop, in their own
/// venv) run as a subprocess, its JSON read back.
struct PeerResults: Decodable {
    /// One peer figure.
    struct Entry: Decodable {
        var benchmark: String
        var model: String
        var peer: String
        var variant: String
        var median_ms: Double
        var runs: Int
    }

    /// Machine facts the script gathered (CPU model, nproc, versions, load averages).
    var machine: [String: JSONValue]
    /// Every figure.
    var results: [Entry]
    /// Correct counts per model, peer, layer and bit width (the per-change cross-check).
    var per_change_correct: [String: [String: [String: [String: Int]]]]?

    /// Runs the peer script and reads its results.
    static func measure(
        runs: Int, fullPassRuns: Int, threads: Int, quick: Bool, resnetDirectory: String?
    ) throws -> PeerResults {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantdash-peers-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: output) }
        var arguments = [
            "Benchmarks/peers/peers.py", "--runs", "\(runs)", "--full-pass-runs", "\(fullPassRuns)", "--threads",
            "\(threads)", "--json", output.path,
        ]
        if quick { arguments.append("--quick") }
        if let resnetDirectory {
            arguments += ["--resnet-dir", resnetDirectory, "--resnet-runs", "3"]
        } else if !quick {
            arguments += ["--benchmarks", "full-float-pass,per-change"]
        }
        try runPython(arguments)
        return try JSONDecoder().decode(PeerResults.self, from: Data(contentsOf: output))
    }

    /// Runs `python3 ARGS` from the repository root, its output passed through to standard error.
    static func runPython(_ arguments: [String]) throws {
        log("python3 \(arguments.joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.standardError
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("python3 \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
    }

    /// The median of `benchmark` for `model`, `peer` and `variant`, when measured.
    func median(_ benchmark: String, model: String, peer: String, variant: String) -> Double? {
        results.first {
            $0.benchmark == benchmark && $0.model == model && $0.peer == peer && $0.variant == variant
        }?.median_ms
    }
}

/// Any JSON value (the machine facts are a mix of strings, numbers and lists).
enum JSONValue: Decodable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case list([JSONValue])
    case other

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let list = try? container.decode([JSONValue].self) {
            self = .list(list)
        } else {
            self = .other
        }
    }

    var description: String {
        switch self {
        case .string(let text): text
        case .number(let number): number == number.rounded() ? String(Int(number)) : String(format: "%.2f", number)
        case .list(let list): list.map(\.description).joined(separator: " ")
        case .other: "?"
        }
    }
}

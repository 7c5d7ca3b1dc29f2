import Foundation

/// A peer script run with `--serve` (`Benchmarks/peers/serve.py`): it sets up once, then times one
/// unit of work per request, so a section alternates the peer's timed runs with its own run by run
/// and a busy moment of this noisy machine slows both sides alike (timing all of one side, then
/// all of the other, let the ratio swing with whatever the machine did in between).
final class PeerServer {
    private let process = Process()
    private let requests = Pipe()
    private let replies = Pipe()
    private var pending = Data()
    private let script: String

    /// Starts `python3 arguments… --serve` from the repository root and waits until it is ready.
    init(_ arguments: [String]) throws {
        script = arguments.first ?? "peer"
        log("python3 \(arguments.joined(separator: " ")) --serve")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments + ["--serve"]
        process.standardInput = requests
        process.standardOutput = replies
        process.standardError = FileHandle.standardError
        // A peer that exits early makes the next request fail with EPIPE (thrown), not SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        // Lines before `ready` (a venv being made, pip's progress) pass through to standard error.
        while true {
            let line = try readLine()
            if line == "ready" { break }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    deinit { close() }

    /// Milliseconds of one run of the peer's `key` (after a pause that lets both sides' spinning
    /// threads park).
    func time(_ key: String) throws -> Double {
        Thread.sleep(forTimeInterval: PeerServer.pause)
        try requests.fileHandleForWriting.write(contentsOf: Data("run \(key)\n".utf8))
        let reply = try readLine()
        guard let milliseconds = Double(reply) else { throw BenchError("\(script): \(reply)") }
        return milliseconds
    }

    /// Ends the script (idempotent).
    func close() {
        guard process.isRunning else { return }
        try? requests.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        try? requests.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Seconds between timed runs: onnxruntime's and our pool's threads spin a little after a run.
    static let pause = 0.1

    /// Our side of one alternation: `body` timed after the same pause as the peer's runs.
    static func timeOurs(_ body: () throws -> Void) rethrows -> Double {
        Thread.sleep(forTimeInterval: pause)
        let start = Timing.nowMilliseconds()
        try body()
        return Timing.nowMilliseconds() - start
    }

    private func readLine() throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let chunk = replies.fileHandleForReading.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw BenchError("\(script) exited (status \(process.terminationStatus)) before answering")
            }
            pending.append(chunk)
        }
    }
}

/// Per-run ratios of one side's times to the other's, run i with run i.
struct PairedRatios {
    var values: [Double]

    init(_ ours: [Double], _ theirs: [Double]) {
        values = zip(ours, theirs).compactMap { $1 > 0 ? $0 / $1 : nil }
    }

    /// The median ratio (0 without pairs).
    var median: Double { values.isEmpty ? 0 : Timing.median(values) }
    /// "0.91–1.07×": the smallest and largest.
    var range: String {
        guard let low = values.min(), let high = values.max() else { return "–" }
        return String(format: "%.2f–%.2f×", low, high)
    }
}

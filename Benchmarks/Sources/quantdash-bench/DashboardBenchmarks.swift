import Foundation
import NcursesBackend
import QuantCore
import QuantTUI

#if canImport(Glibc)
    import Glibc
#endif

/// Benchmark 4: the dashboard through the real ncurses backend on a pseudo-terminal (120×40,
/// xterm-256color), with a thread draining and counting what ncurses writes; and the shipped
/// binary's startup and peak memory.
struct DashboardBenchmarks {
    /// Timed runs per figure.
    var runs: Int

    /// Render + flush of a full frame (after a resize invalidates the screen) and of the frame
    /// after a keystroke, with the bytes each writes to the terminal.
    func renderAndFlush() throws -> [Measurement] {
        let terminal = try PseudoTerminal(columns: 120, rows: 40)
        defer { terminal.close() }
        return try terminal.attachingStandardStreams {
            setenv("TERM", "xterm-256color", 1)
            setenv("LANG", "C.UTF-8", 1)
            let backend = try NcursesBackend.start(
                options: .init(installsSignalHandlers: false, capturesStandardError: false))
            defer { backend.stop() }
            let graph = try ONNXModel.load(contentsOf: BundledModel.mlp.url)
            let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
            let state = AppState(layers: workbench.layers, modelName: "demo-mlp", dataName: "demo")
            let app = DashboardApp(workbench: workbench, backend: backend, state: state, persistence: nil)
            app.start()
            app.settle()
            app.render()
            terminal.waitUntilQuiet()

            var fullRender: [Double] = []
            var fullBytes: [Double] = []
            for _ in 0..<runs {
                app.handle(.resize(Size(width: 120, height: 40)))  // invalidates: the next frame is full
                let before = terminal.byteCount
                let start = Timing.nowMilliseconds()
                app.render()
                fullRender.append(Timing.nowMilliseconds() - start)
                terminal.waitUntilQuiet()
                fullBytes.append(Double(terminal.byteCount - before))
            }

            // Keystrokes: move between layers and change bit widths; each frame is timed right
            // after the key, then the evaluation result is folded in (untimed).
            let keys: [Key] = [.character("4"), .down, .character("6"), .up, .character("8"), .down, .character("3")]
            var keyRender: [Double] = []
            var keyBytes: [Double] = []
            for run in 0..<runs {
                app.handle(.key(keys[run % keys.count]))
                let before = terminal.byteCount
                let start = Timing.nowMilliseconds()
                app.render()
                keyRender.append(Timing.nowMilliseconds() - start)
                terminal.waitUntilQuiet()
                keyBytes.append(Double(terminal.byteCount - before))
                app.settle()
                app.render()
                terminal.waitUntilQuiet()
            }
            let cells = 120.0 * 40.0
            return [
                Measurement(
                    benchmark: "render-flush", subject: "120×40", system: "quantdash", variant: "full frame",
                    median: Timing.median(fullRender), runs: runs, target: 2,
                    detail: ["bytes": String(format: "%.0f", Timing.median(fullBytes))]),
                Measurement(
                    benchmark: "render-flush", subject: "120×40", system: "quantdash", variant: "after a keystroke",
                    median: Timing.median(keyRender), runs: runs, target: 2,
                    detail: ["bytes": String(format: "%.0f", Timing.median(keyBytes))]),
                Measurement(
                    benchmark: "bytes-per-keystroke", subject: "120×40", system: "quantdash",
                    variant: "vs \(Int(cells)) cells on screen", median: Timing.median(keyBytes), unit: "bytes",
                    runs: runs, detail: ["full frame bytes": String(format: "%.0f", Timing.median(fullBytes))]),
            ]
        }
    }

    /// The shipped binary (`quantdash` on the demo) from exec to the first frame on a
    /// pseudo-terminal, and its peak resident memory after a scripted session
    /// (select each layer, change bits, quit).
    func startupAndMemory(binary: String) throws -> [Measurement] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quantdash-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var startups: [Double] = []
        var peaks: [Double] = []
        for run in 0..<max(runs / 2, 5) {
            let terminal = try PseudoTerminal(columns: 120, rows: 40)
            defer { terminal.close() }
            let start = Timing.nowMilliseconds()
            let process = try terminal.spawn(
                binary, arguments: ["--sessions-folder", folder.path],
                environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": folder.path])
            guard terminal.waitForOutput(containing: "Layers", timeoutSeconds: 30) else {
                kill(process, SIGKILL)
                throw BenchError("no first frame from \(binary) within 30 s")
            }
            startups.append(Timing.nowMilliseconds() - start)
            terminal.waitForOutput(containing: "exact", timeoutSeconds: 30)
            for key in ["4", "\u{1B}[B", "6", "\u{1B}[B", "8"] {
                terminal.send(key)
                usleep(100_000)
            }
            terminal.send("q")
            usleep(300_000)
            // A quit may ask to save or keep the autosave: answer no / quit again.
            terminal.send("n")
            terminal.send("q")
            let (status, maxResidentKiB) = PseudoTerminal.wait(for: process, timeoutSeconds: 20)
            guard status == 0 else { throw BenchError("\(binary) exited with status \(status) (run \(run))") }
            peaks.append(Double(maxResidentKiB) / 1024)
        }
        return [
            Measurement(
                benchmark: "startup", subject: "demo-mlp", system: "quantdash", variant: "exec to first frame",
                median: Timing.median(startups), runs: startups.count, target: 300),
            Measurement(
                benchmark: "peak-rss", subject: "demo-mlp", system: "quantdash", variant: "scripted session",
                median: Timing.median(peaks), unit: "MiB", runs: peaks.count, target: 150),
        ]
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

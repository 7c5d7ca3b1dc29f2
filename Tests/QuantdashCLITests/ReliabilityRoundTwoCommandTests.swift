import Foundation
import QuantCore
import QuantTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 16 through the CLI: what the user sees for non-regular `--out`, an empty `--out`,
/// plan values that overflow, hostile names, and non-finite logits.
@Suite struct ReliabilityRoundTwoCommandTests {
    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    private func writePlan(_ json: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent("plan.json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    /// Exactly one line on stderr, containing every one of `parts`; non-zero exit.
    private func expectOneLineFailure(_ result: ProcessResult, _ parts: [String]) {
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines.last == "", "stderr: \(result.standardError)")
        for part in parts { #expect(result.standardError.contains(part), "stderr: \(result.standardError)") }
    }

    @Test(arguments: ["config", "c", "onnx", "report", "tflite"])
    func aFIFOAsOutIsRefusedAndKept(format: String) throws {
        try withFolder { folder in
            let plan = try writePlan(#"{ "version": 1, "default": { "bits": 8 } }"#, in: folder)
            let fifo = folder.appendingPathComponent(format == "c" ? "model.h" : "out")
            try #require(mkfifo(fifo.path, 0o644) == 0)
            let out = format == "c" ? folder.appendingPathComponent("model").path : fifo.path
            let result = try TestSupport.runQuantdash([
                "export", "--plan", plan, "--format", format, "--out", out, "--force",
            ])
            expectOneLineFailure(result, ["not a regular file"])
            var status = stat()
            #expect(lstat(fifo.path, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                    == [fifo.lastPathComponent, "plan.json"].sorted())
        }
    }

    @Test(arguments: ["c", "config"])
    func anEmptyOutIsRefused(format: String) throws {
        try withFolder { folder in
            let plan = try writePlan(#"{ "version": 1, "default": { "bits": 8 } }"#, in: folder)
            let result = try TestSupport.runQuantdash(["export", "--plan", plan, "--format", format, "--out", ""])
            expectOneLineFailure(result, ["--out is empty"])
        }
    }

    @Test(arguments: ["9223372036854775807", "4294967297"])
    func aHugeGroupSizeIsOneLineNamingTheField(size: String) throws {
        try withFolder { folder in
            let plan = try writePlan(
                #"{ "version": 1, "default": { "bits": 4, "granularity": "group", "groupSize": \#(size) } }"#,
                in: folder)
            for arguments in [
                ["eval", "--plan", plan],
                ["export", "--plan", plan, "--format", "c", "--out", folder.appendingPathComponent("m").path],
            ] {
                let result = try TestSupport.runQuantdash(arguments)
                expectOneLineFailure(result, ["\(plan): default.groupSize: \(size) is out of range"])
            }
        }
    }

    @Test func hostileNamesArePrintedEscaped() throws {
        try withFolder { folder in
            var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
            let hostile = "fc\u{1B}]0;pwned\u{07}\u{1B}[2J"
            graph.nodes[graph.layers[0].nodeIndex].name = hostile
            let model = folder.appendingPathComponent("hostile.onnx")
            try ONNXModel.write(graph, to: model)
            let inspect = try TestSupport.runQuantdash(["inspect", model.path])
            #expect(inspect.status == 0, "stderr: \(inspect.standardError)")
            #expect(!inspect.standardOutput.contains("\u{1B}") && !inspect.standardOutput.contains("\u{07}"))
            #expect(inspect.standardOutput.contains("fc\\e]0;pwned\\u{7}\\e[2J"))
            let eval = try TestSupport.runQuantdash(["eval", "--model", model.path, "--limit", "20"])
            #expect(eval.status == 0, "stderr: \(eval.standardError)")
            #expect(!eval.standardOutput.contains("\u{1B}"))
            // A plan naming a layer the model lacks, with a huge hostile name: one short escaped line.
            let name = "x\\u001b[2J" + String(repeating: "y", count: 1_000_000)  // JSON-escaped ESC
            let plan = try writePlan(
                #"{ "version": 1, "layers": { "\#(name)": { "bits": 4 } } }"#, in: folder)
            let start = Date()
            let refused = try TestSupport.runQuantdash(["eval", "--model", model.path, "--plan", plan])
            expectOneLineFailure(refused, ["x\\e[2Jyyy", "more bytes"])
            #expect(!refused.standardError.contains("\u{1B}"))
            #expect(refused.standardError.utf8.count < 5000)
            #expect(Date().timeIntervalSince(start) < 30)
        }
    }

    @Test func nonFiniteLogitsAreReportedAndTheJSONStaysValid() throws {
        try withFolder { folder in
            var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
            let last = try #require(graph.layers.last)
            let biasName = try #require(last.biasName)
            // Finite weights whose products overflow: every logit of a sample with any positive
            // hidden activation becomes ±∞ (NaN weights are refused when the model is read).
            let weights = try #require(graph.initializers[last.weightName])
            graph.initializers[last.weightName] = Tensor(
                shape: weights.shape, repeating: Float.greatestFiniteMagnitude / 2)
            graph.initializers[biasName]?.storage[0] = 0
            let model = folder.appendingPathComponent("overflow.onnx")
            try ONNXModel.write(graph, to: model)
            let node = graph.nodes[last.nodeIndex]
            let json = try TestSupport.runQuantdash(["eval", "--model", model.path, "--limit", "30", "--json"])
            try #require(json.status == 0, "stderr: \(json.standardError)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            let accuracy = try #require(object["accuracy"] as? [String: Any])
            let nonFinite = try #require(accuracy["nonFinite"] as? [String: Any])
            let count = try #require(nonFinite["sampleCount"] as? Int)
            #expect(count >= 1 && count <= 30)
            #expect(nonFinite["firstNode"] as? String == "\(node.name) (\(node.op.onnxName))")
            // A mean over the finite samples when there are some; none (not 0) when every one is NaN/∞.
            if count < 30 {
                #expect((accuracy["nll"] as? Double).map { $0.isFinite && $0 > 0 } == true)
            } else {
                #expect(accuracy["nll"] == nil)
            }
            let text = try TestSupport.runQuantdash(["eval", "--model", model.path, "--limit", "30"])
            #expect(text.status == 0)
            #expect(text.standardOutput.contains("warning: logits are NaN or infinite for \(count) of 30 samples"))
        }
    }

    /// Issue 16.14: options that would be silently ignored are refused, naming the option.
    @Test(arguments: [
        (["--std", "0"], "--std 0: a standard deviation of 0 would divide by zero"),
        (["--std", "0.5,0"], "--std 0.5,0: a standard deviation of 0 would divide by zero"),
        (["--labels", "/nonexistent/labels.npy"], "--labels does not apply to the demo data"),
        (["--x-name", "images"], "--x-name does not apply to the demo data"),
        (["--label-column", "last"], "--label-column does not apply to the demo data"),
        (["--scale", "1/255"], "--scale does not apply to the demo data"),
        (
            ["--data", "images.npy", "--labels", "/nonexistent/labels.npy"],
            "--labels /nonexistent/labels.npy: no such file"
        ),
        (["--data", "data.npz", "--labels", "labels.npy"], "--labels does not apply to --data data.npz"),
        (["--data", "data.csv", "--y-name", "t"], "--y-name does not apply to --data data.csv"),
    ])
    func optionsThatDoNotApplyAreRefused(arguments: [String], message: String) throws {
        let result = try TestSupport.runQuantdash(["eval"] + arguments)
        #expect(result.status != 0)
        #expect(result.standardError.hasPrefix("Error: \(message)"), "stderr: \(result.standardError)")
    }

    /// Issue 16.8 as the probe ran it: a 152-byte model whose 2 GiB side file (sparse) holds one
    /// weight, under a 4 GiB address-space limit. The budget is half the limit there, so the
    /// weight (2 GiB read plus 2 GiB as float32) is refused with one line instead of an
    /// allocation trap with a backtrace.
    @Test func aTwoGiBSideFileUnderAFourGiBLimitIsOneLine() throws {
        try withFolder { folder in
            let fixture = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/external-data/2gib.onnx")
            let model = folder.appendingPathComponent("m.onnx")
            try FileManager.default.copyItem(at: fixture, to: model)
            let side = folder.appendingPathComponent("2gib.bin")
            try #require(FileManager.default.createFile(atPath: side.path, contents: nil))
            try #require(truncate(side.path, 2 << 30) == 0)  // sparse: no disk space
            let quantdash = TestSupport.productsDirectory.appendingPathComponent("quantdash").path
            let result = try TestSupport.run(
                "/bin/sh", ["-c", "ulimit -v 4194304 && exec \"$0\" inspect \"$1\"", quantdash, model.path])
            expectOneLineFailure(
                result,
                [
                    "m.onnx: tensor 'w': 2147483648 bytes of external data in '2gib.bin' is over the memory budget of "
                        + "2147483648 bytes (half the address-space limit, ulimit -v)"
                ])
        }
    }
}

/// Issue 16.15: `train` checks where it will write before training.
@Suite struct TrainDestinationTests {
    @Test func aMissingFolderIsRefusedBeforeTraining() throws {
        let start = Date()
        let result = try TestSupport.runQuantdash(["train", "--demo", "mlp", "--out", "/nonexistent-folder/model.onnx"])
        #expect(result.status != 0)
        #expect(
            result.standardError.contains(
                "/nonexistent-folder/model.onnx: cannot write: the folder /nonexistent-folder does not exist"))
        #expect(!result.standardError.contains("mean loss"))
        #expect(Date().timeIntervalSince(start) < 20)
    }
}

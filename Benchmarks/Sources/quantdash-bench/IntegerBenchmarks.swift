import Foundation
import QuantCore

/// `--only integer` (issue 18, point 4): the integer model of an int8 plan against our own float
/// pass and onnxruntime (the float model, the QDQ export as written, and the export in the form it
/// fuses into QLinearConv / QGemm), on the two demo models and a ResNet-18-sized stack, the same
/// images in the same batches, `threads` threads each, onnxruntime's runs alternating with ours
/// run by run (`integer_peer.py --serve`); medians, and the int8 ratio as the median of the
/// per-run ratios. The integer model runs in both requantizations (onnxruntime's float
/// multiplier, the default, and TFLite's fixed point).
struct IntegerBenchmarks {
    /// Threads for us (the integer model's intra-layer split, the float pass's batch split) and
    /// onnxruntime's intra-op pool.
    var threads: Int
    /// Timed runs of the demo models' passes (ResNet-18's: `resnetRuns`).
    var runs: Int
    var resnetRuns: Int
    /// Folder with `resnet18-plain.onnx` and its data (made on first use); `nil` skips it.
    var resnetDirectory: String?
    /// Images of the ResNet-18-sized pass.
    var resnetImages: Int
    /// Time onnxruntime too.
    var withPeers: Bool

    /// The plan: 8-bit symmetric per-channel weights, 8-bit activations, every layer.
    static let plan = QuantPlan(
        defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel, activationBits: 8))

    /// One model's workbench and where its float file is.
    struct Case {
        var name: String
        var workbench: Workbench
        var floatPath: String
        var runs: Int
    }

    func run() throws -> [Measurement] {
        var cases: [Case] = []
        for model in BundledModel.allCases {
            let workbench = try Workbench(
                graph: try ONNXModel.load(contentsOf: try model.url), heldOut: try DemoData.heldOutSet(),
                calibration: try DemoData.trainingSet().evenlySpaced(1000))
            workbench.batchSize = 250  // the dashboard's batches for MNIST, as full-float-pass
            cases.append(
                Case(name: model.commandLineName, workbench: workbench, floatPath: try model.url.path, runs: runs))
        }
        if let resnetDirectory {
            let model = resnetDirectory + "/resnet18-plain.onnx", data = resnetDirectory + "/resnet18-plain-data.npz"
            if !FileManager.default.fileExists(atPath: model) || !FileManager.default.fileExists(atPath: data) {
                log("making the ResNet-18-sized stack in \(resnetDirectory)")
                try PeerResults.runPython([
                    "Benchmarks/peers/make_resnet18_plain.py", "--out", resnetDirectory, "--images", "64",
                ])
            }
            let images = try DatasetLoader.load(path: data)
            let workbench = try Workbench(
                graph: try ONNXModel.load(contentsOf: URL(fileURLWithPath: model)),
                heldOut: try images.evenlySpaced(min(resnetImages, images.count)),
                calibration: try images.evenlySpaced(min(16, images.count)))
            workbench.batchSize = min(32, resnetImages)
            workbench.activationCacheBytes = 0
            cases.append(Case(name: "resnet18-plain", workbench: workbench, floatPath: model, runs: resnetRuns))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quantdash-integer-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // First every case's integer models and the peer's files: the QDQ export of the same plan
        // (same calibration) and the images.
        var prepared: [(integer: IntegerModel, fixedPoint: IntegerModel, batches: [Tensor])] = []
        var peerArguments: [String] = []
        for item in cases {
            let workbench = item.workbench
            workbench.threadCount = threads
            log("integer \(item.name): lowering the int8 plan")
            var (_, integer) = try workbench.integerModel(for: Self.plan)
            integer.threads = threads
            var fixedPoint = integer
            fixedPoint.requantization = .fixedPoint
            let batches = try workbench.heldOut.batchRanges(of: workbench.batchSize).map {
                try workbench.heldOut.images(in: $0)
            }
            prepared.append((integer, fixedPoint, batches))
            let qdq = folder.appendingPathComponent("\(item.name)-qdq.onnx")
            try QDQExporter.export(Self.plan, using: workbench, to: qdq, overwrite: true)
            let imagesFile = folder.appendingPathComponent("\(item.name)-images.npy")
            let all = try workbench.heldOut.images(in: 0..<workbench.heldOut.count)
            try NumPyFile.writeFloat32(all.storage, shape: all.shape, to: imagesFile)
            let input = integer.inputQuantization
            peerArguments += [
                "--case", item.name, item.floatPath, qdq.path, imagesFile.path, "\(input.scale)", "\(input.zeroPoint)",
                input.isSigned ? "true" : "false", "--batch", "\(workbench.batchSize)", "--runs", "\(item.runs)",
            ]
        }
        // Then onnxruntime set up (sessions made, two warm-up passes each), waiting for requests.
        let output = folder.appendingPathComponent("peer.json")
        let peerCommand =
            ["Benchmarks/peers/integer_peer.py"] + peerArguments + ["--threads", "\(threads)", "--json", output.path]
        let server = withPeers ? try PeerServer(peerCommand) : nil
        defer { server?.close() }
        let peer = try server.map { _ in
            try JSONDecoder().decode(IntegerPeerResults.self, from: Data(contentsOf: output))
        }
        var results: [Measurement] = []
        for (item, (integer, fixedPoint, batches)) in zip(cases, prepared) {
            let workbench = item.workbench
            // Ours (float, int8, int8 fixed-point) and onnxruntime's variants alternate run by run
            // (which side goes first alternates too), so a busy moment slows all alike.
            let peerVariants = peer?.results.filter { $0.model == item.name }.map(\.variant) ?? []
            var floatSamples: [Double] = [], integerSamples: [Double] = [], fixedSamples: [Double] = []
            var peerSamples: [String: [Double]] = [:]
            var integerCorrect = 0, fixedCorrect = 0
            func timePeer() throws {
                for variant in peerVariants {
                    peerSamples[variant, default: []].append(try server!.time("\(item.name)/\(variant)"))
                }
            }
            for run in -2..<item.runs {
                if run >= 0 && run % 2 == 1 { try timePeer() }
                let floatMs = try PeerServer.timeOurs { _ = try workbench.evaluateFromScratch(nil) }
                var outputs: [IntegerTensor] = [], fixedOutputs: [IntegerTensor] = []
                let integerMs = try PeerServer.timeOurs { outputs = try batches.map { try integer.outputCodes($0) } }
                let fixedMs = try PeerServer.timeOurs {
                    fixedOutputs = try batches.map { try fixedPoint.outputCodes($0) }
                }
                func correct(_ outputs: [IntegerTensor]) -> Int {
                    zip(batches.indices, outputs).reduce(0) { sum, pair in
                        sum
                            + Self.correct(
                                pair.1, labels: workbench.heldOut.labels, offset: pair.0 * workbench.batchSize)
                    }
                }
                integerCorrect = correct(outputs)
                fixedCorrect = correct(fixedOutputs)
                guard run >= 0 else { continue }
                floatSamples.append(floatMs)
                integerSamples.append(integerMs)
                fixedSamples.append(fixedMs)
                if run % 2 == 0 { try timePeer() }
            }
            let images = workbench.heldOut.count
            let variant = "\(images) images, batches of \(workbench.batchSize), \(threads) threads"
            results.append(
                Measurement(
                    benchmark: "integer-pass", subject: item.name, system: "quantdash", variant: "float " + variant,
                    median: Timing.median(floatSamples), runs: item.runs))
            var integerDetail = ["kernel": integer.variant.resolvedName, "correct": "\(integerCorrect)"]
            if let theirs = peerSamples["int8"] {
                let ratios = PairedRatios(integerSamples, theirs)
                integerDetail["ratio to onnxruntime int8"] = String(format: "%.2f×", ratios.median)
                integerDetail["per-run ratios"] = ratios.range
            }
            results.append(
                Measurement(
                    benchmark: "integer-pass", subject: item.name, system: "quantdash", variant: "int8 " + variant,
                    median: Timing.median(integerSamples), runs: item.runs, detail: integerDetail))
            results.append(
                Measurement(
                    benchmark: "integer-pass", subject: item.name, system: "quantdash",
                    variant: "int8 fixed-point " + variant, median: Timing.median(fixedSamples), runs: item.runs,
                    detail: ["kernel": fixedPoint.variant.resolvedName, "correct": "\(fixedCorrect)"]))
            for entry in peer?.results ?? [] where entry.model == item.name {
                let samples = peerSamples[entry.variant] ?? []
                log("onnxruntime \(entry.model) \(entry.variant): \(String(format: "%.2f", Timing.median(samples))) ms")
                results.append(
                    Measurement(
                        benchmark: "integer-pass", subject: entry.model, system: "onnxruntime",
                        variant:
                            "\(entry.variant) \(entry.images) images, batches of \(entry.batch), \(threads) threads",
                        median: Timing.median(samples), runs: samples.count,
                        detail: entry.integer_operators.isEmpty ? [:] : ["fused": entry.integer_operators]))
            }
        }
        return results
    }

    /// Images whose largest output code is at their label.
    static func correct(_ codes: IntegerTensor, labels: [Int], offset: Int) -> Int {
        let rows = codes.shape.first ?? 0, classes = codes.codes.count / max(rows, 1)
        var correct = 0
        for row in 0..<rows where offset + row < labels.count {
            let slice = codes.codes[(row * classes)..<((row + 1) * classes)]
            if let best = slice.indices.max(by: { slice[$0] < slice[$1] }), best - row * classes == labels[offset + row]
            {
                correct += 1
            }
        }
        return correct
    }

    /// The Markdown table: per model, ours (float, int8 in both requantizations) and onnxruntime's (float, QDQ, fused int8),
    /// with the two ratios the issue sets targets for.
    static func markdown(_ results: [Measurement]) -> String {
        var lines = [
            "| model | ours float ms | ours int8 ms | ours int8 fixed-point ms | ORT float ms | ORT QDQ as written ms | ORT int8 (QLinear, U8S8) ms | ORT int8 exact (U8U8) ms | ours int8 / ORT int8 (target ≤ 1.0) | ours int8 / ORT U8U8 | ours float / ours int8 (target ≥ 2 on the CNN) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        let models = results.reduce(into: [String]()) { if !$0.contains($1.subject) { $0.append($1.subject) } }
        for model in models {
            func find(_ system: String, _ prefix: String, excluding other: String = "\u{0}") -> Double? {
                results.first {
                    $0.subject == model && $0.system == system && $0.variant.hasPrefix(prefix)
                        && !$0.variant.hasPrefix(other)
                }?.median
            }
            let ours = (
                find("quantdash", "float"), find("quantdash", "int8 ", excluding: "int8 fixed-point"),
                find("quantdash", "int8 fixed-point")
            )
            let ort = (
                find("onnxruntime", "float"), find("onnxruntime", "qdq"), find("onnxruntime", "int8"),
                find("onnxruntime", "u8")
            )
            let paired = results.first {
                $0.subject == model && $0.system == "quantdash" && $0.variant.hasPrefix("int8 ")
                    && !$0.variant.hasPrefix("int8 fixed-point")
            }?.detail
            func ms(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "–" }
            func ratio(_ a: Double?, _ b: Double?) -> String {
                guard let a, let b, b > 0 else { return "–" }
                return String(format: "%.2f×", a / b)
            }
            lines.append(
                "| \(model) | \(ms(ours.0)) | \(ms(ours.1)) | \(ms(ours.2)) | \(ms(ort.0)) | \(ms(ort.1)) | \(ms(ort.2)) | \(ms(ort.3)) | "
                    + "\(pairedRatio(paired) ?? ratio(ours.1, ort.2)) | \(ratio(ours.1, ort.3)) | "
                    + "\(ratio(ours.0, ours.1)) |")
        }
        return lines.joined(separator: "\n")
    }

    /// "0.87× (per run 0.81–0.95×)": the median of the per-run ratios of our int8 pass to
    /// onnxruntime's, and their range, when both were timed.
    static func pairedRatio(_ detail: [String: String]?) -> String? {
        guard let median = detail?["ratio to onnxruntime int8"], let range = detail?["per-run ratios"] else {
            return nil
        }
        return "\(median) (per run \(range))"
    }
}

/// What Benchmarks/peers/integer_peer.py prints.
struct IntegerPeerResults: Decodable {
    struct Entry: Decodable {
        var model: String
        var variant: String
        var median_ms: Double
        var runs: Int
        var images: Int
        var batch: Int
        var integer_operators: String
    }
    var results: [Entry]
}

/// A float32 `.npy` file (NumPy format 1.0), for the peer script.
enum NumPyFile {
    static func writeFloat32(_ values: [Float], shape: [Int], to url: URL) throws {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        try data.write(to: url)
    }
}

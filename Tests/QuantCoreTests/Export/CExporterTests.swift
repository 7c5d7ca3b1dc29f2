import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// `CExporter`: the generated C99 model compiles warning-free, predicts the held-out digits like
/// the engine does, and its `static const` arrays add up to the size model's bytes.
@Suite struct CExporterTests {
    /// One model × plan to export.
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var model: BundledModel
        var plan: QuantPlan
        var testDescription: String { label }
    }

    static let cases: [Case] = {
        let symmetric8 = QuantPlan(defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel))
        let asymmetric4 = QuantPlan(
            defaults: LayerSettings(
                bitWidth: 4, scheme: .asymmetric, granularity: .tensor, pruning: .threshold(0.03)))
        let kmeans3 = QuantPlan(defaults: LayerSettings(bitWidth: 3, scheme: .kmeans, granularity: .tensor))
        var otherSchemesCNN = QuantPlan(defaults: LayerSettings(bitWidth: 6, scheme: .symmetricFull))
        otherSchemesCNN.layers["conv1"] = LayerSettings(bitWidth: 8, scheme: .fp8E4M3)
        otherSchemesCNN.layers["conv2"] = LayerSettings(bitWidth: 4, scheme: .nf4, granularity: .group(size: 24))
        otherSchemesCNN.layers["fc1"] = LayerSettings(bitWidth: 5, scheme: .powerOfTwo, pruning: .sparsity(0.6))
        otherSchemesCNN.layers["fc2"] = LayerSettings(bitWidth: 2, scheme: .ternary)
        var otherSchemesMLP = QuantPlan(defaults: LayerSettings(bitWidth: 8))
        otherSchemesMLP.layers["fc1"] = LayerSettings(bitWidth: 1, scheme: .binary, pruning: .sparsity(0.3))
        otherSchemesMLP.layers["fc2"] = LayerSettings(
            bitWidth: 10, scheme: .meanStd, granularity: .group(size: 64), activationBits: 8)
        otherSchemesMLP.layers["fc3"] = LayerSettings(bitWidth: 8, scheme: .fp8E5M2, pruning: .threshold(0.05))
        return [
            Case(label: "MLP 8-bit per-channel symmetric", model: .mlp, plan: symmetric8),
            Case(label: "CNN 8-bit per-channel symmetric", model: .cnn, plan: symmetric8),
            Case(label: "MLP 4-bit asymmetric per-tensor, pruned", model: .mlp, plan: asymmetric4),
            Case(label: "CNN 4-bit asymmetric per-tensor, pruned", model: .cnn, plan: asymmetric4),
            Case(label: "MLP k-means 3-bit", model: .mlp, plan: kmeans3),
            Case(label: "CNN k-means 3-bit", model: .cnn, plan: kmeans3),
            Case(label: "CNN fp8-e4m3, nf4, power-of-two (sparse), ternary", model: .cnn, plan: otherSchemesCNN),
            Case(
                label: "MLP binary (sparse), mean-std 10-bit + 8-bit activations, fp8-e5m2", model: .mlp,
                plan: otherSchemesMLP),
        ]
    }()

    static let workbenches: [BundledModel: Workbench] = {
        var result: [BundledModel: Workbench] = [:]
        for model in [BundledModel.mlp, .cnn] {
            guard let url = try? model.url, let graph = try? ONNXModel.load(contentsOf: url),
                let heldOut = try? DemoData.heldOutSet(), let training = try? DemoData.trainingSet()
            else { continue }
            result[model] = try? Workbench(graph: graph, heldOut: heldOut, calibration: training.evenlySpaced(256))
        }
        return result
    }()

    /// The first C compiler on `PATH` (`cc`, `gcc`, `clang`).
    static let compiler: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["cc", "gcc", "clang"] {
            for folder in path.split(separator: ":") {
                let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }()

    @Test(arguments: cases)
    func compiledModelMatchesTheEngine(_ testCase: Case) throws {
        let workbench = try #require(Self.workbenches[testCase.model])
        let model = try workbench.apply(testCase.plan)
        let export = try CExporter.generate(model, graph: workbench.graph, name: "qmodel", path: "qmodel")

        // Flash: the arrays the source declares add up to the size model's bytes.
        #expect(export.flashBytes == model.size.currentBytes)
        #expect(Self.declaredArrayBytes(in: export.source) == model.size.currentBytes)
        #expect(export.header.contains("#define QMODEL_FLASH_BYTES \(model.size.currentBytes)\n"))
        // Layers the size model stores sparse carry an occupancy bitmap, and only those.
        for layer in model.size.layers {
            let hasBitmap = export.arrays.contains { $0.name == "qmodel_\(CExporter.identifier(layer.name))_occupancy" }
            #expect(hasBitmap == (layer.encoding == .sparse), "\(layer.name)")
        }
        if testCase.label.contains("pruned") || testCase.label.contains("sparse") {
            #expect(
                model.size.layers.contains { $0.encoding == .sparse }, "the plan should exercise the sparse encoding")
        }

        guard let compiler = Self.compiler else {
            print("skipping the C build of \(testCase.label): no C compiler (cc, gcc, clang) on PATH")
            return
        }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CExporter.write(export, into: folder, overwrite: false)
        try Data(Self.driver(name: export.name).utf8).write(to: folder.appendingPathComponent("driver.c"))
        let program = folder.appendingPathComponent("driver")
        let build = try Self.run(
            compiler,
            ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program.path, "driver.c", "qmodel.c", "-lm"],
            in: folder)
        try #require(build.status == 0, "C build failed:\n\(build.output)")

        let files = try DemoData.heldOutFiles()
        // The C program runs while the engine evaluates the same plan.
        let running = try Self.start(program, [files.images.path, files.labels.path], in: folder)
        let report = try workbench.evaluate(model)
        let result = running()
        try #require(result.status == 0, "driver failed:\n\(result.output)")
        let predictions = result.output.split(separator: "\n").compactMap { Int($0) }
        try #require(predictions.count == report.predictions.count)
        let correct = zip(predictions, workbench.heldOut.labels).filter { $0 == $1 }.count
        let agreeing = zip(predictions, report.predictions).filter { $0 == $1 }.count
        let cTop1 = Double(correct) / Double(predictions.count)
        print(
            "\(testCase.label): C top-1 \(String(format: "%.1f", 100 * cTop1))%, quantdash "
                + "\(String(format: "%.1f", 100 * report.top1))%, same prediction on \(agreeing)/\(predictions.count), "
                + "flash \(export.flashBytes) B = size model \(model.size.currentBytes) B")
        #expect(abs(cTop1 - report.top1) <= 0.002)
        #expect(agreeing >= predictions.count - 2)
    }

    @Test func anUnsupportedOperatorIsOneLineNamingIt() throws {
        let graph = Graph(
            name: "g", inputs: [ValueInfo(name: "x", shape: [nil, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4])],
            initializers: [:], nodes: [Node(name: "squash", op: .sigmoid, inputs: ["x"], outputs: ["y"])])
        let model = QuantizedModel(
            plan: QuantPlan(), layerReports: [], weightOverrides: [:], activationQuantization: [:],
            size: SizeModel.report(layers: [], quantized: [:], allInitializers: [:]))
        let error = #expect(throws: ModelIOError.self) {
            try CExporter.generate(model, graph: graph, name: "g", path: "out/g")
        }
        #expect(error?.description == "out/g: C export: operator Sigmoid (node squash) is not supported")
    }

    @Test func packingIsLSBFirst() {
        // Codes 1, 2, 3 at 3 bits: stream bits 0, 4, 6, 7 set → 0xD1, and bit 8 clear → 0x00.
        #expect(CExporter.pack([1, 2, 3], bitWidth: 3) == [0b1101_0001, 0b0000_0000])
        #expect(CExporter.pack([-1, 1], bitWidth: 4) == [0x1F])
        #expect(CExporter.pack([Int32](repeating: 1, count: 9), bitWidth: 1) == [0xFF, 0x01])
    }

    /// Sums `count · sizeof` over every `static const uint8_t|int8_t|int32_t|float NAME[count]` in `source`.
    static func declaredArrayBytes(in source: String) -> Int {
        var total = 0
        for line in source.split(separator: "\n") where line.hasPrefix("static const ") {
            let parts = line.split(separator: "[")
            guard parts.count >= 2, let count = Int(parts[1].prefix { $0.isNumber }) else { continue }
            let wide = line.hasPrefix("static const float ") || line.hasPrefix("static const int32_t ")
            total += count * (wide ? 4 : 1)
        }
        return total
    }

    /// A C program printing `NAME_predict`'s class for every image of an IDX file pair, one a line.
    static func driver(name: String) -> String {
        """
        #include <stdio.h>
        #include "\(name).h"

        static unsigned long read_be32(FILE *file)
        {
            unsigned char b[4];
            if (fread(b, 1, 4, file) != 4) { return 0; }
            return ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) | ((unsigned long)b[2] << 8) | b[3];
        }

        int main(int argc, char **argv)
        {
            static float input[\(name.uppercased())_INPUT_COUNT];
            float logits[\(name.uppercased())_OUTPUT_COUNT];
            unsigned char pixels[\(name.uppercased())_INPUT_COUNT];
            unsigned long count, i, j;
            FILE *images, *labels;
            if (argc != 3 || !(images = fopen(argv[1], "rb")) || !(labels = fopen(argv[2], "rb"))) { return 2; }
            read_be32(images);
            count = read_be32(images);
            read_be32(images);
            read_be32(images);
            read_be32(labels);
            read_be32(labels);
            for (i = 0; i < count; i++) {
                if (fread(pixels, 1, sizeof pixels, images) != sizeof pixels) { return 3; }
                for (j = 0; j < sizeof pixels; j++) { input[j] = (float)pixels[j] / 255.0f; }
                printf("%d\\n", \(name)_predict(input, logits));
            }
            fclose(images);
            fclose(labels);
            return 0;
        }

        """
    }

    /// Runs `executable` in `folder`; returns its status and combined output.
    static func run(_ executable: URL, _ arguments: [String], in folder: URL) throws -> (status: Int32, output: String)
    {
        try start(executable, arguments, in: folder)()
    }

    /// Starts `executable` in `folder`; the returned function waits for its status and combined output.
    static func start(
        _ executable: URL, _ arguments: [String], in folder: URL
    ) throws -> () -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The integer form of the C export: compiled with `-std=c99 -O2 -Wall -Wextra -Werror`, it gives
/// the `IntegerModel`'s output codes exactly, and its flash and RAM are what the code declares.
@Suite struct CExporterIntegerTests {
    /// A model with every step kind: grouped and depthwise Conv (stride, pads, dilation), both
    /// poolings with padding, a skip Add, an unfolded Clip, Flatten and Gemm; uint8 and int8 codes.
    static func everyStep(seed: UInt64) throws -> IntegerModel {
        var random = SplitMix64(seed: seed)
        func codes(_ count: Int) -> [Int8] { (0..<count).map { _ in Int8.random(in: -127...127, using: &random) } }
        func linear(
            _ name: String, _ input: String, _ output: String, out: Int, depth: Int, y: ActivationQuantization,
            clamp: ClosedRange<Int32>? = nil, conv: IntegerConvolution? = nil
        ) -> IntegerStep {
            .linear(
                IntegerLinear(
                    layerName: name, input: input, output: output, weights: codes(out * depth), outputChannels: out,
                    depth: depth, bias: (0..<out).map { _ in Int32.random(in: -3000...3000, using: &random) },
                    multipliers: (0..<out).map { _ in Float.random(in: 0.0005...0.004, using: &random) },
                    outputQuantization: y, clamp: clamp ?? y.codeRange, convolution: conv))
        }
        let unsigned = try ActivationQuantization(scale: 0.05, zeroPoint: 3, bitWidth: 8, isSigned: false)
        let signed = try ActivationQuantization(scale: 0.04, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let shifted = try ActivationQuantization(scale: 0.07, zeroPoint: -5, bitWidth: 8, isSigned: true)
        let grouped = IntegerConvolution(
            kernel: [3, 3], strides: [2, 1], dilations: [1, 2], pads: [1, 2, 0, 1], group: 2)
        let depthwise = IntegerConvolution(
            kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 6)
        let pointwise = IntegerConvolution(
            kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1)
        var average = PoolAttributes(kernelShape: [3, 3])
        (average.strides, average.pads, average.countIncludePad) = ([2, 2], [1, 1, 1, 1], true)
        var averageExcluding = PoolAttributes(kernelShape: [2, 2])
        averageExcluding.pads = [0, 0, 1, 1]
        var maximum = PoolAttributes(kernelShape: [2, 3])
        (maximum.strides, maximum.pads) = ([2, 2], [1, 1, 0, 1])
        return IntegerModel(
            inputName: "x", inputQuantization: unsigned, outputName: "logits",
            steps: [
                linear("conv a", "x", "a", out: 6, depth: 2 * 9, y: unsigned, clamp: 3...200, conv: grouped),
                .maxPool(input: "a", output: "b", maximum),
                linear("dw", "b", "c", out: 6, depth: 9, y: signed, conv: depthwise),
                linear("pw1", "c", "d", out: 6, depth: 6, y: signed, conv: pointwise),
                linear("pw2", "c", "e", out: 6, depth: 6, y: signed, conv: pointwise),
                .add("d", "e", output: "f"),
                .clamp(input: "f", output: "g", -40...90),
                .averagePool(input: "g", output: "h", average),
                .averagePool(input: "h", output: "i", averageExcluding),
                .reshape(input: "i", output: "j", flattenAxis: 1, shape: nil),
                linear("fc", "j", "logits", out: 5, depth: 6 * 2 * 2, y: shifted),
            ])
    }

    @Test func everyStepKindGivesTheIntegerModelsCodes() throws {
        let integer = try Self.everyStep(seed: 7)
        let (count, inputShape) = (64, [4, 11, 9])
        var random = SplitMix64(seed: 11)
        let inputs = Tensor(
            shape: [count] + inputShape,
            storage: (0..<(count * 4 * 11 * 9)).map { _ in Float.random(in: -0.5...14, using: &random) })
        let expected = try integer.outputCodes(inputs)
        let export = try CExporter.generateInteger(integer, inputShape: inputShape, name: "steps", path: "steps")
        #expect(export.form == .integer)
        let outputs = try Self.compileAndRun(export, inputs: inputs, quantization: integer.inputQuantization)
        #expect(outputs.values == expected.dequantized().storage)
        #expect(outputs.codes == expected.codes.map(Int32.init))
        #expect(Set(expected.codes).count > 5, "the outputs should not all saturate")
    }

    @Test func flashAndRAMAreWhatTheCodeDeclares() throws {
        let integer = try Self.everyStep(seed: 3)
        let export = try CExporter.generateInteger(integer, inputShape: [4, 11, 9], name: "steps", path: "steps")
        let weights = integer.linearLayers.reduce(0) { $0 + $1.weights.count }
        #expect(CExporterTests.declaredArrayBytes(in: export.source) == export.flashBytes)
        #expect(export.flashBytes >= weights)
        #expect(export.header.contains("#define STEPS_FLASH_BYTES \(export.flashBytes)\n"))
        #expect(export.header.contains("#define STEPS_RAM_BYTES \(export.ramBytes)\n"))
        #expect(export.source.contains("static int16_t steps_arena[\(export.ramBytes / 2)];"))
        #expect(!export.source.contains("malloc") && !export.source.contains("#include <math.h>"))
    }

    @Test func theArenaReusesBuffersNoLongerRead() {
        typealias Buffer = CExporter.ArenaPlan.Buffer
        // A chain: each buffer is read by the next step only, so two places alternate.
        let chain = CExporter.ArenaPlan.plan(
            [
                Buffer(bytes: 100, first: 0, last: 1), Buffer(bytes: 60, first: 1, last: 2),
                Buffer(bytes: 80, first: 2, last: 3), Buffer(bytes: 10, first: 3, last: 4),
            ],
            alignment: 2)
        #expect(chain.totalBytes == 160)
        #expect(chain.largestLiveSet == 160)
        // A skip connection keeps its source live across the branch.
        let skip = CExporter.ArenaPlan.plan(
            [
                Buffer(bytes: 50, first: 0, last: 3), Buffer(bytes: 50, first: 1, last: 2),
                Buffer(bytes: 50, first: 2, last: 3), Buffer(bytes: 51, first: 3, last: 4),
            ],
            alignment: 2)
        #expect(skip.largestLiveSet == 151)
        #expect(skip.totalBytes == 152)
        for (i, a) in [0, 1, 2, 3].enumerated() {
            for b in [0, 1, 2, 3].dropFirst(i + 1) {
                let buffers = [(50, 0, 3), (50, 1, 2), (50, 2, 3), (51, 3, 4)]
                let (x, y) = (buffers[a], buffers[b])
                guard x.1 <= y.2 && y.1 <= x.2 else { continue }
                let (xs, ys) = (skip.offsets[a], skip.offsets[b])
                #expect(xs + x.0 <= ys || ys + y.0 <= xs, "buffers \(a) and \(b) live together overlap")
            }
        }
    }

    /// Builds `export` with a driver that runs every example of `inputs` through `NAME_predict`
    /// (dequantized outputs) and, quantized as `IntegerKernels.quantize` does, through
    /// `NAME_predict_codes` (output codes).
    static func compileAndRun(
        _ export: CExport, inputs: Tensor, quantization: ActivationQuantization
    ) throws -> (values: [Float], codes: [Int32]) {
        let compiler = try #require(CExporterTests.compiler, "no C compiler (cc, gcc, clang) on PATH")
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CExporter.write(export, into: folder, overwrite: false)
        let (name, upper) = (export.name, export.name.uppercased())
        let driver = """
            #include <stdio.h>
            #include "\(name).h"

            /* argv: input floats, input codes (int32), output floats, output codes (int32); raw little-endian */
            int main(int argc, char **argv)
            {
                static float input[\(upper)_INPUT_COUNT];
                static int32_t wide[\(upper)_INPUT_COUNT];
                static \(name)_input_code codes[\(upper)_INPUT_COUNT];
                float logits[\(upper)_OUTPUT_COUNT];
                \(name)_output_code out[\(upper)_OUTPUT_COUNT];
                int32_t out_wide[\(upper)_OUTPUT_COUNT];
                int i;
                FILE *floats, *coded, *values, *codes_out;
                if (argc != 5) { return 2; }
                floats = fopen(argv[1], "rb");
                coded = fopen(argv[2], "rb");
                values = fopen(argv[3], "wb");
                codes_out = fopen(argv[4], "wb");
                if (!floats || !coded || !values || !codes_out) { return 2; }
                while (fread(input, sizeof input, 1, floats) == 1 && fread(wide, sizeof wide, 1, coded) == 1) {
                    (void)\(name)_predict(input, logits);
                    fwrite(logits, sizeof logits, 1, values);
                    for (i = 0; i < \(upper)_INPUT_COUNT; i++) { codes[i] = (\(name)_input_code)wide[i]; }
                    (void)\(name)_predict_codes(codes, out);
                    for (i = 0; i < \(upper)_OUTPUT_COUNT; i++) { out_wide[i] = (int32_t)out[i]; }
                    fwrite(out_wide, sizeof out_wide, 1, codes_out);
                }
                fclose(floats);
                fclose(coded);
                fclose(values);
                fclose(codes_out);
                return 0;
            }

            """
        try Data(driver.utf8).write(to: folder.appendingPathComponent("driver.c"))
        let program = folder.appendingPathComponent("driver")
        let build = try CExporterTests.run(
            compiler,
            [
                "-std=c99", "-pedantic", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program.path, "driver.c",
                "\(name).c",
            ],
            in: folder)
        try #require(build.status == 0, "C build failed:\n\(build.output)")
        let codes = IntegerKernels.quantize(inputs, with: quantization).codes.map(Int32.init)
        try raw(inputs.storage).write(to: folder.appendingPathComponent("in.f32"))
        try raw(codes).write(to: folder.appendingPathComponent("in.i32"))
        let result = try CExporterTests.run(program, ["in.f32", "in.i32", "out.f32", "out.i32"], in: folder)
        try #require(result.status == 0, "driver failed:\n\(result.output)")
        let values: [Float] = read(try Data(contentsOf: folder.appendingPathComponent("out.f32")))
        let outputCodes: [Int32] = read(try Data(contentsOf: folder.appendingPathComponent("out.i32")))
        return (values, outputCodes)
    }

    /// The values' bytes as this machine stores them.
    static func raw<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }

    /// `data` as an array of `T`.
    static func read<T>(_ data: Data) -> [T] {
        data.withUnsafeBytes { bytes in
            (0..<(bytes.count / MemoryLayout<T>.stride)).map {
                bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self)
            }
        }
    }
}

import ArgumentParser
import Foundation
import QuantCore

/// `quantdash eval --save-outputs FILE.npy`: the model's first output on every held-out sample,
/// as the graph produces it (batch first), for comparison with another runtime: the float model,
/// or with `--plan` the quantized one (weights and activations as evaluation runs them), or with
/// `--integer` the integer model's dequantized output codes. Every
/// model input is fed (`input_ids` and `attention_mask` from a `.npz` alike).
enum EvalOutputs {
    /// Runs the model on `data` in batches of `batchSize` and writes its first output to `path`.
    static func save(
        model: ModelChoice, data: DataChoice, planPath: String?, calibrationCount: Int, batchSize: Int,
        biasCorrection: Bool = false, equalize: Bool = false, learnedRounding: Bool = false, integer: Bool = false,
        requantization: Requantization = .float, to path: String
    ) throws {
        let prepared = try EvalRun.prepare(
            model: model, data: data, calibrationCount: calibrationCount, batchSize: batchSize)
        let (graph, workbench) = (prepared.graph, prepared.workbench)
        let dataset = workbench.heldOut
        guard let input = graph.inputs.first, let output = graph.outputs.first else {
            throw ValidationError("--save-outputs: the model has no input or no output")
        }
        var quantized: QuantizedModel? = nil
        if let planPath {
            var plan = try EvalRun.loadPlan(planPath: planPath, layerNames: workbench.layerNames)
            if equalize { plan = workbench.withEqualization(plan) }
            if learnedRounding { plan = workbench.withLearnedRounding(plan) }
            if biasCorrection { plan = workbench.withBiasCorrection(plan) }
            do {
                quantized = try workbench.apply(plan)
            } catch let error as PlanError {
                throw error.inFile(planPath)
            }
        }
        var integerModel: IntegerModel? = nil
        if integer, let planPath {
            var plan = try EvalRun.loadPlan(planPath: planPath, layerNames: workbench.layerNames)
            if biasCorrection { plan = workbench.withBiasCorrection(plan) }
            integerModel = try workbench.integerModel(for: plan, requantization: requantization).1
        }
        let executor = try GraphExecutor(graph: graph)
        var batches: [Tensor] = []
        for start in stride(from: 0, to: dataset.count, by: batchSize) {
            let range = start..<min(start + batchSize, dataset.count)
            if let integerModel {
                batches.append(try integerModel.run(try dataset.images(in: range)))
                continue
            }
            let outputs = try executor.run(
                dataset.inputs(in: range, main: input.name), weightOverrides: quantized?.weightOverrides ?? [:],
                activationQuantization: quantized?.activationQuantization ?? [:])
            guard let tensor = outputs[output.name] else { throw GraphError.missingOutput(output.name) }
            batches.append(tensor)
        }
        guard let first = batches.first else { throw ValidationError("--save-outputs: the data set is empty") }
        var shape = first.shape
        shape[0] = batches.reduce(0) { $0 + ($1.shape.first ?? 0) }
        try AtomicFile.write(npy(shape: shape, values: batches.flatMap(\.storage)), to: URL(fileURLWithPath: path))
    }

    /// A NumPy `.npy` file (format 1.0, little-endian float32, C order).
    static func npy(shape: [Int], values: [Float]) -> Data {
        let dimensions = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }
}

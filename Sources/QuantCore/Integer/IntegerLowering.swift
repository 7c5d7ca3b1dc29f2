/// Lowers a float graph with a `QuantizedModel` applied to an `IntegerModel`.
///
/// The plan must be expressible in int8: every quantizable layer with 8-bit symmetric weights
/// (per channel or per tensor, zero point 0) and 8-bit activations at its output; every other
/// node one the integer model has a kernel for. An Add whose output the plan quantizes
/// (`ActivationSites`) is requantized to it; one it leaves float needs operands of one scale. Anything else is refused with one line saying
/// which layer or node and why. The float graph input is quantized with `inputQuantization`.
public enum IntegerLowering {
    /// Lowers `graph` with `quantized` applied, computing `outputName` (the first output by default).
    /// A Softmax that writes the output stays float: the model then ends at the logits before it.
    ///
    /// - Throws: `IntegerLoweringError` naming the layer or node that has no integer form.
    public static func lower(
        graph: Graph, quantized: QuantizedModel, inputQuantization: ActivationQuantization, outputName: String? = nil
    ) throws -> IntegerModel {
        guard graph.inputs.count == 1, let input = graph.inputs.first,
            let output = graph.outputs.first(where: { $0.name == outputName ?? $0.name })
        else {
            throw IntegerLoweringError(
                "integer execution needs a model with one input (this one has \(graph.inputs.count))")
        }
        var reports: [Int: LayerReport] = [:]
        for report in quantized.layerReports { reports[report.layer.nodeIndex] = report }
        var readers: [String: Int] = [:]
        for node in graph.nodes { for name in node.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        for value in graph.outputs { readers[value.name, default: 0] += 1 }

        var lowering = State(quantization: [input.name: inputQuantization])
        for (index, node) in graph.nodes.enumerated() {
            let label = label(of: node, at: index)
            guard let out = node.outputs.first else { continue }
            let role = try role(of: node, label: label)
            let reads = valuesRead(by: node, role: role).map { lowering.resolve($0) }
            for name in reads where lowering.quantization[name] == nil {
                throw IntegerLoweringError(
                    floatOperandReason(
                        label: label, node: node, value: name, isSoftmax: lowering.softmaxLogits[name] != nil))
            }
            let x = reads.first.flatMap { lowering.quantization[$0] } ?? inputQuantization
            switch role {
            case .linear:
                guard let report = reports[index] else {
                    throw IntegerLoweringError("node \(label) (\(node.op.onnxName)) has no constant weight to quantize")
                }
                var layer = try linear(node: node, report: report, graph: graph, quantized: quantized, input: x)
                layer.input = reads[0]
                lowering.add(.linear(layer), output: out, quantization: layer.outputQuantization)
            case .clamp:
                let range = try clampRange(
                    of: node, graph: graph, quantization: x, label: label,
                    roundsBounds: quantized.activationQuantization[out] == x)
                if readers[node.inputs[0], default: 0] == 1, readers[reads[0], default: 0] == 1,
                    lowering.narrowClamp(producing: reads[0], to: range, renaming: out)
                {
                    lowering.quantization[out] = x
                } else {
                    lowering.add(.clamp(input: reads[0], output: out, range), output: out, quantization: x)
                }
            case .pool:
                let step: IntegerStep =
                    switch node.op {
                    case .maxPool(let attributes): .maxPool(input: reads[0], output: out, attributes)
                    case .averagePool(let attributes): .averagePool(input: reads[0], output: out, attributes)
                    default: .globalAveragePool(input: reads[0], output: out)
                    }
                lowering.add(step, output: out, quantization: x)
            case .globalAveragePool:
                lowering.add(.globalAveragePool(input: reads[0], output: out), output: out, quantization: x)
            case .add:
                let (a, b) = (x, lowering.quantization[reads[1]] ?? x)
                if let y = quantized.activationQuantization[out] {
                    let step = IntegerAdd(
                        first: reads[0], second: reads[1], output: out, firstQuantization: a, secondQuantization: b,
                        outputQuantization: y, clamp: y.codeRange)
                    lowering.add(.requantizedAdd(step), output: out, quantization: y)
                    continue
                }
                guard a.scale == b.scale, a.zeroPoint == 0, b.zeroPoint == 0 else {
                    throw IntegerLoweringError(
                        "node \(label) (\(node.op.onnxName)): its output is float in the plan and its inputs have scales \(a.scale) and \(b.scale) (an integer Add of a float output needs one scale and zero point 0)"
                    )
                }
                let sum = try ActivationQuantization(
                    scale: a.scale, bitWidth: min(max(a.bitWidth, b.bitWidth) + 2, 16), isSigned: true)
                lowering.add(.add(reads[0], reads[1], output: out), output: out, quantization: sum)
            case .concat(let axis):
                try lowering.concat(reads, output: out, axis: axis, label: label)
            case .passThrough:
                lowering.renames[out] = reads[0]
            case .reshape:
                var target: [Int]? = nil
                if case .reshape = node.op {
                    guard node.inputs.count > 1, let shape = constantTensor(node.inputs[1], in: graph) else {
                        throw IntegerLoweringError("node \(label) (Reshape): the target shape is not a constant")
                    }
                    target = shape.storage.map { Int($0) }
                    // A graph with its batch fixed at 1 runs a batch one sample at a time in
                    // float (GraphExecutor+PerSample): its leading 1 means "the batch" here.
                    if input.shape.first == 1, target?.first == 1 { target?[0] = 0 }
                }
                let flattenAxis: Int? = if case .flatten(let axis) = node.op { axis } else { nil }
                lowering.add(
                    .reshape(input: reads[0], output: out, flattenAxis: flattenAxis, shape: target), output: out,
                    quantization: x)
            case .finalSoftmax:
                lowering.softmaxLogits[out] = reads[0]
            case .constant:
                continue  // read by `clampRange` / Reshape where used
            }
        }
        let last = lowering.resolve(output.name)
        let logits = lowering.softmaxLogits[last].map { lowering.resolve($0) } ?? last
        guard lowering.quantization[logits] != nil else {
            throw IntegerLoweringError(
                "the output '\(output.name)' is float in the plan (integer execution needs 8-bit activations up to the output)"
            )
        }
        return IntegerModel(
            inputName: input.name, inputQuantization: inputQuantization, outputName: logits, steps: lowering.steps)
    }

    /// The steps so far and the quantization of every value they compute.
    struct State {
        var quantization: [String: ActivationQuantization]
        var steps: [IntegerStep] = []
        /// Dropout and Identity outputs: the value they pass on.
        var renames: [String: String] = [:]
        /// A Softmax's output → the logits it reads (float beyond; allowed only as the output).
        var softmaxLogits: [String: String] = [:]

        /// The value computed under `name` (through Dropout and Identity).
        func resolve(_ name: String) -> String { renames[name] ?? name }

        mutating func add(_ step: IntegerStep, output: String, quantization parameters: ActivationQuantization) {
            steps.append(step)
            quantization[output] = parameters
        }

        /// Folds a ReLU / Clip into the linear or requantized Add step writing `value` (read by
        /// nothing else): its clamp narrows to `range` and it writes `renaming` instead. False
        /// when no such step writes it.
        mutating func narrowClamp(producing value: String, to range: ClosedRange<Int32>, renaming: String) -> Bool {
            func narrowed(_ clamp: ClosedRange<Int32>) -> ClosedRange<Int32> {
                max(clamp.lowerBound, range.lowerBound)...min(clamp.upperBound, range.upperBound)
            }
            for index in steps.indices.reversed() {
                switch steps[index] {
                case .linear(var layer) where layer.output == value:
                    (layer.clamp, layer.output) = (narrowed(layer.clamp), renaming)
                    steps[index] = .linear(layer)
                    return true
                case .requantizedAdd(var add) where add.output == value:
                    (add.clamp, add.output) = (narrowed(add.clamp), renaming)
                    steps[index] = .requantizedAdd(add)
                    return true
                default: continue
                }
            }
            return false
        }
    }

    /// The codes a ReLU or Clip keeps: from the zero point (ReLU) or the Clip bounds as codes.
    /// With `roundsBounds` (the plan puts the Clip's output back on its input's grid,
    /// `ActivationSites`) a bound rounds half to even to its code, as fake quantization of the
    /// clipped value does; otherwise it must fall on the grid (a Clip at 6.0 with a scale that
    /// does not divide it has no integer form).
    static func clampRange(
        of node: Node, graph: Graph, quantization x: ActivationQuantization, label: String,
        roundsBounds: Bool = false
    ) throws -> ClosedRange<Int32> {
        var (low, high): (Float?, Float?) = (0, nil)
        if case .clip(let minimum, let maximum) = node.op {
            func constant(_ slot: Int) -> Float? {
                guard node.inputs.indices.contains(slot), !node.inputs[slot].isEmpty else { return nil }
                return constantTensor(node.inputs[slot], in: graph)?.storage.first
            }
            (low, high) = (constant(1) ?? minimum, constant(2) ?? maximum)
        }
        func code(_ value: Float?, _ fallback: Int32) throws -> Int32 {
            guard let value else { return fallback }
            let steps = value / x.scale
            // A bound beyond every code (a ReLU6 whose input never reaches 6) clamps nothing there.
            if steps + Float(x.zeroPoint) > Float(x.codeRange.upperBound) { return x.codeRange.upperBound }
            if steps + Float(x.zeroPoint) < Float(x.codeRange.lowerBound) { return x.codeRange.lowerBound }
            if roundsBounds {
                let code = Int32(steps.rounded(.toNearestOrEven)) + x.zeroPoint
                return min(max(code, x.codeRange.lowerBound), x.codeRange.upperBound)
            }
            guard abs(steps - steps.rounded()) <= 1e-3 * max(1, abs(steps)) else {
                throw IntegerLoweringError(
                    "node \(label): the bound \(value) is not a multiple of the scale \(x.scale), so it has no integer form"
                )
            }
            return min(max(Int32(steps.rounded()) + x.zeroPoint, x.codeRange.lowerBound), x.codeRange.upperBound)
        }
        let lower = try code(low, x.codeRange.lowerBound), upper = try code(high, x.codeRange.upperBound)
        guard lower <= upper else { throw IntegerLoweringError("node \(label): Clip bounds are empty") }
        return lower...upper
    }
}

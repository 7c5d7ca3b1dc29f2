/// Lowers a float graph with a `QuantizedModel` applied to an `IntegerModel`.
///
/// The plan must be expressible in int8: every quantizable layer with 8-bit symmetric weights
/// (per channel or per tensor, zero point 0) and 8-bit activations at its output; every other
/// node one the integer model has a kernel for. Anything else is refused with one line saying
/// which layer or node and why. The float graph input is quantized with `inputQuantization`.
public enum IntegerLowering {
    /// The operators the integer model runs, for the refusal message (the switch in
    /// `lower` is the table that knows how to lower each).
    public static let supportedOperators = "Conv, Gemm, MatMul, MaxPool, AveragePool, Add, Relu, Clip, Flatten, Reshape"

    /// Lowers `graph` with `quantized` applied, computing `outputName` (the first output by default).
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
            let label = node.name.isEmpty ? "#\(index)" : "'\(node.name)'"
            func operand(_ slot: Int) throws -> ActivationQuantization {
                let name = node.inputs.indices.contains(slot) ? node.inputs[slot] : ""
                guard let parameters = lowering.quantization[name] else {
                    throw IntegerLoweringError(
                        "node \(label) (\(node.op.onnxName)) reads '\(name)', which the plan leaves float")
                }
                return parameters
            }
            guard let out = node.outputs.first else { continue }
            switch node.op {
            case .conv, .gemm, .matMul:
                guard let report = reports[index] else {
                    throw IntegerLoweringError("node \(label) (\(node.op.onnxName)) has no constant weight to quantize")
                }
                let layer = try linear(
                    node: node, report: report, graph: graph, quantized: quantized, input: try operand(0))
                lowering.add(.linear(layer), output: out, quantization: layer.outputQuantization)
            case .relu, .clip:
                let x = try operand(0)
                let range = try clampRange(of: node, graph: graph, quantization: x, label: label)
                if readers[node.inputs[0], default: 0] == 1,
                    lowering.narrowLinear(producing: node.inputs[0], to: range, renaming: out)
                {
                    lowering.quantization[out] = x
                } else {
                    lowering.add(.clamp(input: node.inputs[0], output: out, range), output: out, quantization: x)
                }
            case .maxPool(let attributes), .averagePool(let attributes):
                let x = try operand(0)
                guard attributes.autoPad == .notSet, !attributes.ceilMode, attributes.kernelShape.count == 2 else {
                    throw IntegerLoweringError(
                        "node \(label): integer pooling needs a 2-D window, explicit pads and floor mode")
                }
                let step: IntegerStep =
                    if case .maxPool = node.op {
                        .maxPool(input: node.inputs[0], output: out, attributes)
                    } else {
                        .averagePool(input: node.inputs[0], output: out, attributes)
                    }
                lowering.add(step, output: out, quantization: x)
            case .add:
                let (a, b) = (try operand(0), try operand(1))
                guard a.scale == b.scale, a.zeroPoint == 0, b.zeroPoint == 0 else {
                    throw IntegerLoweringError(
                        "node \(label) (Add): its inputs have scales \(a.scale) and \(b.scale) (integer Add needs one scale and zero point 0)"
                    )
                }
                let sum = try ActivationQuantization(
                    scale: a.scale, bitWidth: min(max(a.bitWidth, b.bitWidth) + 2, 16), isSigned: true)
                lowering.add(.add(node.inputs[0], node.inputs[1], output: out), output: out, quantization: sum)
            case .flatten(let axis):
                lowering.add(
                    .reshape(input: node.inputs[0], output: out, flattenAxis: axis, shape: nil), output: out,
                    quantization: try operand(0))
            case .reshape:
                let x = try operand(0)
                guard node.inputs.count > 1, let shape = graph.initializers[node.inputs[1]] else {
                    throw IntegerLoweringError("node \(label) (Reshape): the target shape is not a constant")
                }
                let target = shape.storage.map { Int($0) }
                lowering.add(
                    .reshape(input: node.inputs[0], output: out, flattenAxis: nil, shape: target), output: out,
                    quantization: x)
            default:
                throw IntegerLoweringError(
                    "node \(label): \(node.op.onnxName) has no integer kernel (integer execution runs \(supportedOperators))"
                )
            }
        }
        guard lowering.quantization[output.name] != nil else {
            throw IntegerLoweringError(
                "the output '\(output.name)' is float in the plan (integer execution needs 8-bit activations up to the output)"
            )
        }
        return IntegerModel(
            inputName: input.name, inputQuantization: inputQuantization, outputName: output.name, steps: lowering.steps)
    }

    /// The steps so far and the quantization of every value they compute.
    struct State {
        var quantization: [String: ActivationQuantization]
        var steps: [IntegerStep] = []

        mutating func add(_ step: IntegerStep, output: String, quantization parameters: ActivationQuantization) {
            steps.append(step)
            quantization[output] = parameters
        }

        /// Folds a ReLU / Clip into the linear step writing `value` (read by nothing else): its
        /// clamp narrows to `range` and it writes `renaming` instead. False when no step writes it.
        mutating func narrowLinear(producing value: String, to range: ClosedRange<Int32>, renaming: String) -> Bool {
            guard
                let index = steps.lastIndex(where: { if case .linear(let l) = $0 { l.output == value } else { false } }
                ),
                case .linear(var layer) = steps[index]
            else { return false }
            layer.clamp = max(layer.clamp.lowerBound, range.lowerBound)...min(layer.clamp.upperBound, range.upperBound)
            layer.output = renaming
            steps[index] = .linear(layer)
            return true
        }
    }

    /// The codes a ReLU or Clip keeps: from the zero point (ReLU) or the Clip bounds as codes,
    /// which must fall on the grid (a Clip at 6.0 with a scale that does not divide it has no
    /// integer form).
    static func clampRange(
        of node: Node, graph: Graph, quantization x: ActivationQuantization, label: String
    ) throws -> ClosedRange<Int32> {
        var (low, high): (Float?, Float?) = (0, nil)
        if case .clip(let minimum, let maximum) = node.op {
            func constant(_ slot: Int) -> Float? {
                guard node.inputs.indices.contains(slot), !node.inputs[slot].isEmpty else { return nil }
                return graph.initializers[node.inputs[slot]]?.storage.first
            }
            (low, high) = (constant(1) ?? minimum, constant(2) ?? maximum)
        }
        func code(_ value: Float?, _ fallback: Int32) throws -> Int32 {
            guard let value else { return fallback }
            let steps = value / x.scale
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

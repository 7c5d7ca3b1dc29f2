/// One value a plan fake-quantizes: its name, the node writing it, and how it is quantized.
public struct ActivationSite: Sendable, Equatable {
    /// The graph value (a node output).
    public var value: String
    /// The index in `Graph.nodes` of the node that writes it.
    public var nodeIndex: Int
    /// Bits of its codes.
    public var bitWidth: Int
    /// How its range is calibrated.
    public var calibration: CalibrationMethod
    /// For a GlobalAveragePool's or a Clip's output: the site whose quantization it takes (no
    /// calibration of its own); `nil` for a calibrated value.
    public var source: String? = nil
}

/// Which values a plan's activation quantization applies to — the one rule `Workbench.apply`,
/// calibration and every export read (through `QuantizedModel.activationQuantization`):
///
/// - a layer's output, when the layer has `activationBits` (its bits and calibration method);
/// - an Add (or a Sum of two) whose two operands are both quantized activations, followed back
///   through ReLU/Clip, pooling, Flatten/Reshape, Dropout/Identity and Concat (of quantized
///   inputs) to a quantized producer, as `IntegerLowering` reads them: its output is quantized
///   too, with the larger of its operands' bit widths and its first operand's calibration method.
///   onnxruntime's static quantizer (QLinearAdd) and TFLite's int8 ADD quantize an Add's output
///   the same way, so the integer model can reproduce the fake-quantized sum (a residual Add of
///   two scales has an integer form);
/// - a GlobalAveragePool or Clip reading a quantized activation (through the same operators,
///   not through a Concat): its output takes that activation's quantization, as the integer
///   model's pooling rounds the mean to the input's grid and its clamp a Clip's bounds (ReLU6's
///   6.0 rarely falls on the grid; onnxruntime's QDQ quantizer and TFLite's int8
///   AVERAGE_POOL_2D / RELU6 keep the input's parameters too). MaxPool and Relu need nothing:
///   their outputs are on the grid already. A windowed AveragePool stays float: its small
///   windows make means that tie at half a step common, which TFLite's QUANTIZE (the float
///   form's fake quantization) rounds away from zero where ours rounds to even.
///
/// A value reached from the graph input alone, or through any other operator (BatchNormalization
/// left unfolded, Mul, Softmax…), is float, and an Add reading it stays float.
public enum ActivationSites {
    /// The values `settings` quantize on `graph`, in graph order.
    ///
    /// - Complexity: O(nodes + layers).
    public static func sites(
        graph: Graph, layers: [Layer], settings: (Layer) -> LayerSettings
    ) -> [ActivationSite] {
        var layerAt: [Int: Layer] = [:]
        for layer in layers where layerAt[layer.nodeIndex] == nil { layerAt[layer.nodeIndex] = layer }
        // Each quantized value's bits, calibration and the site it carries unchanged (nil after a Concat).
        var quantized: [String: (bits: Int, calibration: CalibrationMethod, site: String?)] = [:]
        var result: [ActivationSite] = []
        for (index, node) in graph.nodes.enumerated() {
            guard let out = node.outputs.first, !out.isEmpty else { continue }
            if let layer = layerAt[index] {
                let layerSettings = settings(layer)
                if let bits = layerSettings.activationBits {
                    quantized[out] = (bits, layerSettings.calibration, out)
                    result.append(
                        ActivationSite(
                            value: out, nodeIndex: index, bitWidth: bits, calibration: layerSettings.calibration))
                }
                continue
            }
            guard let role = try? IntegerLowering.role(of: node, label: "") else { continue }
            let operands = IntegerLowering.valuesRead(by: node, role: role).map { quantized[$0] }
            guard !operands.isEmpty, operands.allSatisfy({ $0 != nil }) else { continue }
            let found = operands.compactMap { $0 }
            let bits = found.map(\.bits).max() ?? found[0].bits
            let isClip = if case .clip = node.op { true } else { false }
            switch role {
            case .add:
                quantized[out] = (bits, found[0].calibration, out)
                result.append(
                    ActivationSite(value: out, nodeIndex: index, bitWidth: bits, calibration: found[0].calibration))
            case .pool,
                .clamp where !isClip:
                quantized[out] = found[0]
            case .globalAveragePool, .clamp:
                guard let source = found[0].site else { continue }
                quantized[out] = (found[0].bits, found[0].calibration, out)
                result.append(
                    ActivationSite(
                        value: out, nodeIndex: index, bitWidth: found[0].bits, calibration: found[0].calibration,
                        source: source))
            case .passThrough, .reshape:
                quantized[out] = found[0]
            case .concat:
                quantized[out] = (bits, found[0].calibration, nil)
            case .linear, .finalSoftmax, .constant:
                continue
            }
        }
        return result
    }

    /// Every value some plan calibrates on `graph` (each layer's output, each Add joining two of
    /// them; not the GlobalAveragePools and Clips, which take their input's quantization): the values
    /// calibration gathers statistics of, once, whatever the plan.
    public static func candidates(graph: Graph, layers: [Layer]) -> Set<String> {
        let every = LayerSettings(activationBits: 8)
        return Set(
            sites(graph: graph, layers: layers, settings: { _ in every }).filter { $0.source == nil }.map(\.value))
    }
}

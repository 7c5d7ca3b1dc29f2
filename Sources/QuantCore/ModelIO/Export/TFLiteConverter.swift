import Foundation

/// Rewrites an ONNX graph (NCHW) with a plan applied as a float TensorFlow Lite model (NHWC).
///
/// Each ONNX value is one TFLite tensor, in one of two layouts: `plain` (ONNX's own order) or
/// `nhwc` (a 4-D `[N, C, H, W]` value stored as `[N, H, W, C]`, as TFLite's convolutions and
/// pooling read and write it). A value is converted (TRANSPOSE, or RESHAPE when C = 1 or
/// H·W = 1 and the memory order is the same) only where a consumer needs the other layout:
/// the graph input keeps the ONNX model's NCHW shape, so the `.tflite` file takes exactly the
/// data `quantdash eval` and the QDQ export take, and the outputs keep theirs.
struct TFLiteConverter {
    enum Layout { case plain, nhwc }

    /// A converted value: its tensor, its ONNX shape (batch 1) and its layout.
    struct Value {
        var tensor: Int32
        var shape: [Int]
        var layout: Layout
    }

    var model = TFLiteModel()
    let graph: Graph
    let quantized: QuantizedModel
    /// Named in errors.
    let path: String
    /// ONNX shapes of every value for a batch of 1.
    var shapes: [String: [Int]] = [:]
    var values: [String: Value] = [:]
    /// Values already converted to the other layout, by ONNX name.
    var converted: [String: Int32] = [:]
    /// Whether the graph's batch axis is dynamic (tensors then carry a shape signature with −1).
    var dynamicBatch = false
    /// Relu nodes folded into the Conv or Gemm before them (by node index), and the output the
    /// fused operator writes instead.
    var fusedRelu: [Int: (relu: Int, output: String)] = [:]
    /// Activations fake-quantized (QUANTIZE → DEQUANTIZE pairs) in the file.
    var fakeQuantized: [String] = []
    /// Whether the file is full-integer int8 (operators get their `int8Version`).
    var integer = false
    /// The int8 form: each value's codes as the integer model holds them and as the file does.
    var codes: [String: CodeQuantization] = [:]
    /// Outputs of Constant nodes (written into the file only where an operator reads them).
    var constants: [String: Tensor] = [:]

    init(graph: Graph, quantized: QuantizedModel, path: String) throws {
        self.graph = graph
        self.quantized = quantized
        self.path = path
        let summary = try graph.summary()
        for input in graph.inputs { shapes[input.name] = input.shape.map { $0 ?? 1 } }
        for node in summary.nodes {
            for (name, shape) in zip(node.outputs, node.outputShapes) { shapes[name] = shape }
        }
        dynamicBatch = graph.inputs.first?.shape.first.map { $0 == nil } ?? false
        planFusion()
    }

    /// The one-line error for what the export cannot express.
    func unsupported(_ detail: String) -> ModelIOError {
        .incompatible(path: path, detail: "TFLite export: \(detail)")
    }

    /// Relu after a Conv or Gemm whose output nothing else reads (and that is not quantized or
    /// an output) is fused into it (`fused_activation_function = RELU`).
    private mutating func planFusion() {
        var readers: [String: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { readers[input, default: []].append(index) }
        }
        let outputs = Set(graph.outputs.map(\.name))
        for (index, node) in graph.nodes.enumerated() {
            guard case .relu = node.op, let input = node.inputs.first, let output = node.outputs.first,
                readers[input] == [index], !outputs.contains(input),
                quantized.activationQuantization[input] == nil,
                let producer = graph.nodes.firstIndex(where: { $0.outputs.first == input })
            else { continue }
            switch graph.nodes[producer].op {
            case .conv, .gemm, .matMul: fusedRelu[producer] = (index, output)
            default: continue
            }
        }
    }

    /// Converts every node, then marks inputs and outputs.
    mutating func convert() throws -> TFLiteModel {
        guard graph.inputs.count == 1, let input = graph.inputs.first else {
            throw unsupported("the model must have exactly one input (it has \(graph.inputs.count))")
        }
        let inputShape = shapes[input.name] ?? []
        let inputTensor = addActivation(input.name, shape: inputShape)
        values[input.name] = Value(tensor: inputTensor, shape: inputShape, layout: .plain)
        try fakeQuantize(input.name)
        let skipped = Set(fusedRelu.values.map(\.relu))
        for (index, node) in graph.nodes.enumerated() where !skipped.contains(index) {
            try convert(node, index: index)
            for output in node.outputs where !output.isEmpty { try fakeQuantize(output) }
            if let fused = fusedRelu[index] { try fakeQuantize(fused.output) }
        }
        model.inputs = [inputTensor]
        for output in graph.outputs {
            model.outputs.append(try tensor(output.name, in: .plain))
        }
        return model
    }

    // MARK: - Tensors

    /// Adds a float activation tensor with the ONNX `shape` stored in `layout`.
    mutating func addActivation(_ name: String, shape: [Int], layout: Layout = .plain) -> Int32 {
        model.addTensor(
            name, shape: layout == .nhwc ? Self.nhwc(shape) : shape, type: .float32, dynamicBatch: dynamicBatch)
    }

    /// Adds a constant float tensor.
    mutating func addConstant(_ name: String, shape: [Int], floats: [Float]) -> Int32 {
        model.addTensor(name, shape: shape, type: .float32, data: Self.bytes(floats))
    }

    /// Adds a constant int32 tensor.
    mutating func addConstant(_ name: String, shape: [Int], ints: [Int32]) -> Int32 {
        model.addTensor(name, shape: shape, type: .int32, data: Self.bytes(ints))
    }

    /// Adds an operator.
    mutating func add(
        _ kind: TFLiteOperatorKind, inputs: [Int32], outputs: [Int32], options: TFLiteModel.Options = .none,
        version: Int32? = nil
    ) {
        model.operators.append(
            TFLiteModel.Operator(
                kind: kind, version: version ?? (integer ? kind.int8Version : 1), inputs: inputs, outputs: outputs,
                options: options))
    }

    /// `[N, C, H, W]` → `[N, H, W, C]`.
    static func nhwc(_ shape: [Int]) -> [Int] {
        shape.count == 4 ? [shape[0], shape[2], shape[3], shape[1]] : shape
    }

    /// Little-endian IEEE 754 bytes.
    static func bytes(_ floats: [Float]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(floats.count * 4)
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// Little-endian int32 bytes.
    static func bytes(_ ints: [Int32]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(ints.count * 4)
        for value in ints { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// A reshape's target as TFLite reads it: −1 for the batch when it is dynamic.
    func reshapeTarget(_ shape: [Int]) -> [Int32] {
        var target = shape.map { Int32($0) }
        if dynamicBatch, !target.isEmpty { target[0] = -1 }
        return target
    }

    /// The tensor holding ONNX value `name` in `layout`, converting it once if needed.
    mutating func tensor(_ name: String, in layout: Layout) throws -> Int32 {
        guard let value = values[name] else { throw unsupported("value \(name) is never computed") }
        if value.layout == layout { return value.tensor }
        if let done = converted[name] { return done }
        guard value.shape.count == 4 else {
            throw unsupported("value \(name) of rank \(value.shape.count) cannot be used as an image")
        }
        let (c, h, w) = (value.shape[1], value.shape[2], value.shape[3])
        let suffix = layout == .nhwc ? "nhwc" : "nchw"
        let source = model.tensors[Int(value.tensor)]  // the copy keeps its type and quantization
        let output = model.addTensor(
            "\(name)/\(suffix)", shape: layout == .nhwc ? Self.nhwc(value.shape) : value.shape, type: source.type,
            quantization: source.quantization, dynamicBatch: dynamicBatch)
        if c == 1 || h * w == 1 {
            let target = reshapeTarget(layout == .nhwc ? Self.nhwc(value.shape) : value.shape)
            let shapeTensor = addConstant("\(name)/\(suffix)/shape", shape: [target.count], ints: target)
            add(.reshape, inputs: [value.tensor, shapeTensor], outputs: [output], options: .reshape(newShape: target))
        } else {
            let permutation: [Int32] = layout == .nhwc ? [0, 2, 3, 1] : [0, 3, 1, 2]
            let permutationTensor = addConstant("\(name)/\(suffix)/perm", shape: [4], ints: permutation)
            add(.transpose, inputs: [value.tensor, permutationTensor], outputs: [output])
        }
        converted[name] = output
        return output
    }

    // MARK: - Activation quantization

    /// Quantize-dequantize `name` as the plan does (QUANTIZE to int8/uint8/int16 with the
    /// calibrated scale, DEQUANTIZE back; widths below the container's are clamped first with
    /// MAXIMUM/MINIMUM), replacing the value.
    mutating func fakeQuantize(_ name: String) throws {
        guard let parameters = quantized.activationQuantization[name], let value = values[name] else { return }
        let bits = parameters.bitWidth
        let type: TFLiteSchema.TensorType
        let containerBits: Int
        switch (bits, parameters.isSigned) {
        case (...8, true): (type, containerBits) = (.int8, 8)
        case (...8, false): (type, containerBits) = (.uint8, 8)
        case (...16, true) where parameters.zeroPoint == 0: (type, containerBits) = (.int16, 16)
        default:
            throw unsupported(
                "activation \(name) is quantized to \(parameters.isSigned ? "int" : "uint")\(bits) with zero point "
                    + "\(parameters.zeroPoint), which TFLite cannot hold (it has int8, uint8 and int16 with zero point 0)"
            )
        }
        var source = value.tensor
        let shape = value.layout == .nhwc ? Self.nhwc(value.shape) : value.shape
        if bits != containerBits {
            let range = parameters.codeRange
            let low = parameters.scale * Float(range.lowerBound - parameters.zeroPoint)
            let high = parameters.scale * Float(range.upperBound - parameters.zeroPoint)
            let lowTensor = addConstant("\(name)/clip_low", shape: [1], floats: [low])
            let highTensor = addConstant("\(name)/clip_high", shape: [1], floats: [high])
            let raised = model.addTensor("\(name)/clip_max", shape: shape, type: .float32, dynamicBatch: dynamicBatch)
            add(.maximum, inputs: [source, lowTensor], outputs: [raised])
            let clipped = model.addTensor("\(name)/clipped", shape: shape, type: .float32, dynamicBatch: dynamicBatch)
            add(.minimum, inputs: [raised, highTensor], outputs: [clipped])
            source = clipped
        }
        let codes = model.addTensor(
            "\(name)/quantized", shape: shape, type: type,
            quantization: .init(scale: [parameters.scale], zeroPoint: [Int64(parameters.zeroPoint)]),
            dynamicBatch: dynamicBatch)
        let version: Int32 = type == .uint8 ? 1 : 2
        add(.quantize, inputs: [source], outputs: [codes], version: version)
        let restored = model.addTensor(
            "\(name)/dequantized", shape: shape, type: .float32, dynamicBatch: dynamicBatch)
        add(.dequantize, inputs: [codes], outputs: [restored], version: version)
        values[name] = Value(tensor: restored, shape: value.shape, layout: value.layout)
        converted[name] = nil
        fakeQuantized.append(name)
    }
}

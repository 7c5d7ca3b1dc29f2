import Foundation

@testable import QuantCore

/// Reads a `.tflite` file (with `FlatBufferReader`, not the writer's types) and rebuilds it as a
/// quantdash `Graph` that the engine can run: NHWC CONV_2D and pooling become ONNX's NCHW ops
/// between two Transposes, OHWI filters OIHW, FULLY_CONNECTED a Gemm (transB), fused RELU a Relu,
/// QUANTIZE/DEQUANTIZE QuantizeLinear/DequantizeLinear. Only the operators the export writes.
struct TFLiteFileGraph {
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    /// One tensor as the file describes it.
    struct FileTensor {
        var name: String
        var shape: [Int]
        var signature: [Int]?
        var type: Int8
        var data: [UInt8]
        var scale: [Float]
        var zeroPoint: [Int64]
        var quantizedDimension: Int32
    }

    /// One operator as the file describes it.
    struct FileOperator {
        var name: String
        var inputs: [Int]
        var outputs: [Int]
        var optionsType: UInt8
        var options: FlatBufferReader.Table?
    }

    var version: UInt32
    var tensors: [FileTensor] = []
    var operators: [FileOperator] = []
    var inputs: [Int] = []
    var outputs: [Int] = []
    var metadata: [String: String] = [:]
    /// Buffer data start offsets in the file (to check their alignment).
    var bufferStarts: [Int] = []

    /// Builtin code → name, from the export's own table.
    static let names = Dictionary(
        uniqueKeysWithValues: TFLiteOperatorKind.allCases.map { ($0.schema.builtinCode, $0.rawValue) })

    init(bytes: [UInt8]) throws {
        let reader = FlatBufferReader(bytes: bytes)
        let root = try reader.root(identifier: "TFL3")
        version = try root.uint32(0)
        let codes = try (root.tables(1) ?? []).map { code in
            max(try code.int32(3), Int32(try code.int8(0)))
        }
        var buffers: [[UInt8]] = []
        for buffer in try root.tables(4) ?? [] {
            if let (data, start) = try buffer.bytes(0) {
                buffers.append(data)
                bufferStarts.append(start)
            } else {
                buffers.append([])
            }
        }
        for entry in try root.tables(6) ?? [] {
            let name = try entry.string(0) ?? ""
            metadata[name] = String(decoding: buffers[Int(try entry.uint32(1))], as: UTF8.self)
        }
        guard let graph = try root.tables(2)?.first else { throw Unsupported(description: "no subgraph") }
        for tensor in try graph.tables(0) ?? [] {
            let quantization = try tensor.table(4)
            tensors.append(
                FileTensor(
                    name: try tensor.string(3) ?? "", shape: (try tensor.int32s(0) ?? []).map(Int.init),
                    signature: try tensor.int32s(7)?.map(Int.init), type: try tensor.int8(1),
                    data: buffers[Int(try tensor.uint32(2))], scale: try quantization?.floats(2) ?? [],
                    zeroPoint: try quantization?.int64s(3) ?? [],
                    quantizedDimension: try quantization?.int32(6) ?? 0))
        }
        inputs = (try graph.int32s(1) ?? []).map(Int.init)
        outputs = (try graph.int32s(2) ?? []).map(Int.init)
        for op in try graph.tables(3) ?? [] {
            let code = codes[Int(try op.uint32(0))]
            operators.append(
                FileOperator(
                    name: Self.names[code] ?? "builtin \(code)", inputs: (try op.int32s(1) ?? []).map(Int.init),
                    outputs: (try op.int32s(2) ?? []).map(Int.init), optionsType: try op.uint8(3),
                    options: try op.table(4)))
        }
    }

    /// The codes of a constant int8 tensor.
    func int8s(_ index: Int) -> [Int8] { tensors[index].data.map { Int8(bitPattern: $0) } }

    /// The values of a constant int32 tensor.
    func int32s(_ index: Int) -> [Int32] {
        let data = tensors[index].data
        return stride(from: 0, to: data.count, by: 4).map { at in
            Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[at + $1]) << (8 * $1) })
        }
    }

    /// The floats of a constant float32 or int32 tensor.
    func values(_ index: Int) -> [Float] {
        let tensor = tensors[index]
        return stride(from: 0, to: tensor.data.count, by: 4).map { at in
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(tensor.data[at + $1]) << (8 * $1) }
            return tensor.type == 2 ? Float(Int32(bitPattern: bits)) : Float(bitPattern: bits)
        }
    }

    /// The model as an engine graph (input batch dynamic).
    func graph() throws -> Graph {
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        var types: [String: ElementType] = [:]
        func name(_ index: Int) -> String { "t\(index)" }
        for (index, tensor) in tensors.enumerated() where !tensor.data.isEmpty {
            initializers[name(index)] = Tensor(shape: tensor.shape, storage: values(index))
        }
        func constant(_ label: String, _ tensor: Tensor, type: ElementType = .float32) -> String {
            initializers[label] = tensor
            if type != .float32 { types[label] = type }
            return label
        }
        let toNCHW = Operator.transpose(permutation: [0, 3, 1, 2])
        let toNHWC = Operator.transpose(permutation: [0, 2, 3, 1])
        for (number, op) in operators.enumerated() {
            let x = name(op.inputs[0])
            let y = name(op.outputs[0])
            let tag = "op\(number)"
            switch op.name {
            case "RESHAPE":
                nodes.append(
                    Node(name: tag, op: .reshape(allowZero: false), inputs: [x, name(op.inputs[1])], outputs: [y]))
            case "RELU":
                nodes.append(Node(name: tag, op: .relu, inputs: [x], outputs: [y]))
            case "TRANSPOSE":
                let permutation = values(op.inputs[1]).map { Int($0) }
                nodes.append(Node(name: tag, op: .transpose(permutation: permutation), inputs: [x], outputs: [y]))
            case "CONV_2D", "MAX_POOL_2D":
                guard let options = op.options else { throw Unsupported(description: "\(tag) has no options") }
                let same = try options.int8(0) == 0
                let strides = [Int(try options.int32(2)), Int(try options.int32(1))]
                nodes.append(Node(name: "\(tag)/in", op: toNCHW, inputs: [x], outputs: ["\(tag)/nchw"]))
                let relu: Bool
                if op.name == "CONV_2D" {
                    let filter = tensors[op.inputs[1]]
                    let (o, h, w, c) = (filter.shape[0], filter.shape[1], filter.shape[2], filter.shape[3])
                    let ohwi = values(op.inputs[1])
                    var oihw = [Float](repeating: 0, count: ohwi.count)
                    for a in 0..<o {
                        for b in 0..<c {
                            for yy in 0..<h {
                                for xx in 0..<w {
                                    oihw[((a * c + b) * h + yy) * w + xx] = ohwi[((a * h + yy) * w + xx) * c + b]
                                }
                            }
                        }
                    }
                    let weight = constant("\(tag)/w", Tensor(shape: [o, c, h, w], storage: oihw))
                    let attributes = ConvAttributes(
                        kernelShape: [h, w], strides: strides, autoPad: same ? .sameUpper : .valid)
                    nodes.append(
                        Node(
                            name: tag, op: .conv(attributes), inputs: ["\(tag)/nchw", weight, name(op.inputs[2])],
                            outputs: ["\(tag)/out"]))
                    relu = try options.int8(3) == 1
                } else {
                    let attributes = PoolAttributes(
                        kernelShape: [Int(try options.int32(4)), Int(try options.int32(3))], strides: strides,
                        autoPad: same ? .sameUpper : .valid)
                    nodes.append(
                        Node(name: tag, op: .maxPool(attributes), inputs: ["\(tag)/nchw"], outputs: ["\(tag)/out"]))
                    relu = try options.int8(5) == 1
                }
                if relu {
                    nodes.append(Node(name: "\(tag)/relu", op: .relu, inputs: ["\(tag)/out"], outputs: ["\(tag)/act"]))
                }
                nodes.append(
                    Node(name: "\(tag)/back", op: toNHWC, inputs: [relu ? "\(tag)/act" : "\(tag)/out"], outputs: [y]))
            case "FULLY_CONNECTED":
                let relu = try op.options?.int8(0) == 1
                let gemm = Node(
                    name: tag, op: .gemm(GemmAttributes(transposeB: true)),
                    inputs: [x, name(op.inputs[1]), name(op.inputs[2])], outputs: [relu ? "\(tag)/out" : y])
                nodes.append(gemm)
                if relu { nodes.append(Node(name: "\(tag)/relu", op: .relu, inputs: ["\(tag)/out"], outputs: [y])) }
            case "QUANTIZE", "DEQUANTIZE":
                let quantized = tensors[op.name == "QUANTIZE" ? op.outputs[0] : op.inputs[0]]
                let type: ElementType = quantized.type == 9 ? .int8 : quantized.type == 3 ? .uint8 : .int16
                let scale = constant("\(tag)/scale", Tensor(scalar: quantized.scale[0]))
                let zero = constant("\(tag)/zero", Tensor(scalar: Float(quantized.zeroPoint[0])), type: type)
                let kind: Operator =
                    op.name == "QUANTIZE" ? .quantizeLinear(axis: 1, elementType: type) : .dequantizeLinear(axis: 1)
                nodes.append(Node(name: tag, op: kind, inputs: [x, scale, zero], outputs: [y]))
            case "MAXIMUM", "MINIMUM":
                let function: VariadicElementwise = op.name == "MAXIMUM" ? .max : .min
                nodes.append(Node(name: tag, op: .variadic(function), inputs: [x, name(op.inputs[1])], outputs: [y]))
            default:
                throw Unsupported(description: "operator \(op.name)")
            }
        }
        let graphInputs = inputs.map { index in
            ValueInfo(name: name(index), shape: [nil] + tensors[index].shape.dropFirst().map { Optional($0) })
        }
        let graphOutputs = outputs.map {
            ValueInfo(name: name($0), shape: [nil] + tensors[$0].shape.dropFirst().map { Optional($0) })
        }
        return Graph(
            name: "tflite", inputs: graphInputs, outputs: graphOutputs, initializers: initializers,
            initializerTypes: types, nodes: nodes)
    }
}

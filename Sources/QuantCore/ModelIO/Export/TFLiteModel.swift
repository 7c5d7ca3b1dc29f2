import Foundation

/// The TensorFlow Lite operators the `tflite` export writes: the one table of their builtin
/// codes (`enum BuiltinOperator`), option tables (`union BuiltinOptions` index, 0 = none) and
/// names.
public enum TFLiteOperatorKind: String, Sendable, CaseIterable {
    case conv2D = "CONV_2D"
    case fullyConnected = "FULLY_CONNECTED"
    case maxPool2D = "MAX_POOL_2D"
    case averagePool2D = "AVERAGE_POOL_2D"
    case reshape = "RESHAPE"
    case transpose = "TRANSPOSE"
    case pad = "PAD"
    case relu = "RELU"
    case relu6 = "RELU6"
    case softmax = "SOFTMAX"
    case quantize = "QUANTIZE"
    case dequantize = "DEQUANTIZE"
    case maximum = "MAXIMUM"
    case minimum = "MINIMUM"

    /// `BuiltinOperator` and the `BuiltinOptions` union index of the options it takes.
    var schema: (builtinCode: Int32, optionsType: UInt8) {
        switch self {
        case .conv2D: (3, 1)  // Conv2DOptions
        case .fullyConnected: (9, 8)  // FullyConnectedOptions
        case .maxPool2D: (17, 5)  // Pool2DOptions
        case .averagePool2D: (1, 5)  // Pool2DOptions
        case .reshape: (22, 17)  // ReshapeOptions
        case .transpose: (39, 0)
        case .pad: (34, 0)
        case .relu: (19, 0)
        case .relu6: (21, 0)
        case .softmax: (25, 9)  // SoftmaxOptions
        case .quantize: (114, 0)
        case .dequantize: (6, 0)
        case .maximum: (55, 0)
        case .minimum: (57, 0)
        }
    }
}

/// A TensorFlow Lite model in memory: one subgraph, its tensors, operators and constant buffers;
/// `serialized()` gives the `.tflite` bytes.
public struct TFLiteModel: Sendable, Equatable {
    /// Per-tensor or per-axis affine quantization: `real = scale · (q − zeroPoint)`.
    public struct Quantization: Sendable, Equatable {
        public var scale: [Float]
        public var zeroPoint: [Int64]
        public var quantizedDimension: Int32 = 0
    }

    /// A tensor: shape (batch 1 where the model's batch is dynamic, which `shapeSignature` marks
    /// with −1), element type and constant data (buffer 0 = none).
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int32]
        public var shapeSignature: [Int32]?
        public var type: TFLiteSchema.TensorType
        public var buffer: UInt32
        public var quantization: Quantization?
    }

    /// An operator's options table.
    public enum Options: Sendable, Equatable {
        case none
        case conv2D(padding: TFLiteSchema.Padding, strideW: Int32, strideH: Int32, activation: TFLiteSchema.Activation)
        case pool2D(
            padding: TFLiteSchema.Padding, strideW: Int32, strideH: Int32, filterWidth: Int32, filterHeight: Int32,
            activation: TFLiteSchema.Activation)
        case fullyConnected(activation: TFLiteSchema.Activation)
        case reshape(newShape: [Int32])
        case softmax(beta: Float)
    }

    /// An operator: kind, version, tensor indices in and out (−1: an omitted optional input).
    public struct Operator: Sendable, Equatable {
        public var kind: TFLiteOperatorKind
        public var version: Int32 = 1
        public var inputs: [Int32]
        public var outputs: [Int32]
        public var options: Options = .none
    }

    /// Constant data; buffer 0 is TFLite's empty sentinel.
    public var buffers: [[UInt8]] = [[]]
    public var tensors: [Tensor] = []
    public var operators: [Operator] = []
    public var inputs: [Int32] = []
    public var outputs: [Int32] = []
    /// `Model.description`.
    public var description = ""
    /// `Model.metadata`: name → bytes (stored as extra buffers).
    public var metadata: [(name: String, value: String)] = []

    public init() {}

    public static func == (lhs: TFLiteModel, rhs: TFLiteModel) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// Adds a tensor (with constant `data`, if any) and returns its index.
    mutating func addTensor(
        _ name: String, shape: [Int], type: TFLiteSchema.TensorType, data: [UInt8]? = nil,
        quantization: Quantization? = nil, dynamicBatch: Bool = false
    ) -> Int32 {
        var buffer: UInt32 = 0
        if let data {
            buffer = UInt32(buffers.count)
            buffers.append(data)
        }
        let dims = shape.map { Int32($0) }
        var signature: [Int32]? = nil
        if dynamicBatch, !dims.isEmpty { signature = [-1] + dims.dropFirst() }
        tensors.append(
            Tensor(
                name: name, shape: dims, shapeSignature: signature, type: type, buffer: buffer,
                quantization: quantization))
        return Int32(tensors.count - 1)
    }

    /// The `.tflite` file: a FlatBuffer with identifier `TFL3`.
    public func serialized() -> [UInt8] {
        var builder = FlatBufferBuilder(capacity: 1024 + buffers.reduce(0) { $0 + $1.count + 32 })
        var metadataBuffers: [(name: String, buffer: UInt32)] = []
        var allBuffers = buffers
        for entry in metadata {
            metadataBuffers.append((entry.name, UInt32(allBuffers.count)))
            allBuffers.append(Array(entry.value.utf8))
        }
        // Buffers first: the largest objects, aligned to 16.
        let bufferTables = allBuffers.map { data -> FlatBufferBuilder.Offset in
            let vector =
                data.isEmpty ? nil : builder.createVector(bytes: data, alignment: TFLiteSchema.Buffer.dataAlignment)
            builder.startTable(fieldCount: TFLiteSchema.Buffer.fieldCount)
            if let vector { builder.add(vector, at: TFLiteSchema.Buffer.data) }
            return builder.endTable()
        }
        let tensorTables = tensors.map { serialize($0, into: &builder) }
        var codes: [(kind: TFLiteOperatorKind, version: Int32)] = []
        var operatorTables: [FlatBufferBuilder.Offset] = []
        for op in operators {
            if !codes.contains(where: { $0.kind == op.kind && $0.version == op.version }) {
                codes.append((op.kind, op.version))
            }
            let index = codes.firstIndex { $0.kind == op.kind && $0.version == op.version } ?? 0
            operatorTables.append(serialize(op, opcodeIndex: UInt32(index), into: &builder))
        }
        let subgraph = serializeSubgraph(tensors: tensorTables, operators: operatorTables, into: &builder)
        let codeTables = codes.map { code -> FlatBufferBuilder.Offset in
            let builtin = code.kind.schema.builtinCode
            builder.startTable(fieldCount: TFLiteSchema.OperatorCode.fieldCount)
            builder.add(Int32(builtin), at: TFLiteSchema.OperatorCode.builtinCode)
            builder.add(code.version, at: TFLiteSchema.OperatorCode.version, default: 1)
            builder.add(Int8(min(builtin, 127)), at: TFLiteSchema.OperatorCode.deprecatedBuiltinCode)
            return builder.endTable()
        }
        let metadataTables = metadataBuffers.map { entry -> FlatBufferBuilder.Offset in
            let name = builder.createString(entry.name)
            builder.startTable(fieldCount: TFLiteSchema.Metadata.fieldCount)
            builder.add(name, at: TFLiteSchema.Metadata.name)
            builder.add(entry.buffer, at: TFLiteSchema.Metadata.buffer)
            return builder.endTable()
        }
        let codesVector = builder.createVector(offsets: codeTables)
        let subgraphs = builder.createVector(offsets: [subgraph])
        let descriptionString = builder.createString(description)
        let buffersVector = builder.createVector(offsets: bufferTables)
        let metadataVector = metadataTables.isEmpty ? nil : builder.createVector(offsets: metadataTables)
        builder.startTable(fieldCount: TFLiteSchema.Model.fieldCount)
        builder.add(TFLiteSchema.version, at: TFLiteSchema.Model.version)
        builder.add(codesVector, at: TFLiteSchema.Model.operatorCodes)
        builder.add(subgraphs, at: TFLiteSchema.Model.subgraphs)
        builder.add(descriptionString, at: TFLiteSchema.Model.description)
        builder.add(buffersVector, at: TFLiteSchema.Model.buffers)
        if let metadataVector { builder.add(metadataVector, at: TFLiteSchema.Model.metadata) }
        let model = builder.endTable()
        return builder.finish(root: model, fileIdentifier: TFLiteSchema.fileIdentifier)
    }

    private func serialize(_ tensor: Tensor, into builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Offset {
        let shape = builder.createVector(tensor.shape)
        let signature = tensor.shapeSignature.map { builder.createVector($0) }
        let name = builder.createString(tensor.name)
        var quantization: FlatBufferBuilder.Offset? = nil
        if let parameters = tensor.quantization {
            let scale = builder.createVector(parameters.scale)
            let zeroPoint = builder.createVector(parameters.zeroPoint)
            builder.startTable(fieldCount: TFLiteSchema.QuantizationParameters.fieldCount)
            builder.add(scale, at: TFLiteSchema.QuantizationParameters.scale)
            builder.add(zeroPoint, at: TFLiteSchema.QuantizationParameters.zeroPoint)
            builder.add(parameters.quantizedDimension, at: TFLiteSchema.QuantizationParameters.quantizedDimension)
            quantization = builder.endTable()
        }
        builder.startTable(fieldCount: TFLiteSchema.Tensor.fieldCount)
        builder.add(shape, at: TFLiteSchema.Tensor.shape)
        builder.add(tensor.type.rawValue, at: TFLiteSchema.Tensor.type)
        builder.add(tensor.buffer, at: TFLiteSchema.Tensor.buffer)
        builder.add(name, at: TFLiteSchema.Tensor.name)
        if let quantization { builder.add(quantization, at: TFLiteSchema.Tensor.quantization) }
        if let signature { builder.add(signature, at: TFLiteSchema.Tensor.shapeSignature) }
        return builder.endTable()
    }

    private func serialize(
        _ op: Operator, opcodeIndex: UInt32, into builder: inout FlatBufferBuilder
    ) -> FlatBufferBuilder.Offset {
        let inputs = builder.createVector(op.inputs)
        let outputs = builder.createVector(op.outputs)
        let options = serialize(op.options, into: &builder)
        builder.startTable(fieldCount: TFLiteSchema.Operator.fieldCount)
        builder.add(opcodeIndex, at: TFLiteSchema.Operator.opcodeIndex)
        builder.add(inputs, at: TFLiteSchema.Operator.inputs)
        builder.add(outputs, at: TFLiteSchema.Operator.outputs)
        builder.addUnion(
            type: options == nil ? 0 : op.kind.schema.optionsType, value: options,
            atTypeField: TFLiteSchema.Operator.builtinOptionsType)
        return builder.endTable()
    }

    private func serialize(_ options: Options, into builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Offset? {
        typealias Field = TFLiteSchema.Options
        switch options {
        case .none:
            return nil
        case .conv2D(let padding, let strideW, let strideH, let activation):
            builder.startTable(fieldCount: Field.convFieldCount)
            builder.add(padding.rawValue, at: Field.padding)
            builder.add(strideW, at: Field.strideW)
            builder.add(strideH, at: Field.strideH)
            builder.add(activation.rawValue, at: Field.convActivation)
            builder.add(Int32(1), at: Field.convDilationW, default: 1)
            builder.add(Int32(1), at: Field.convDilationH, default: 1)
        case .pool2D(let padding, let strideW, let strideH, let filterWidth, let filterHeight, let activation):
            builder.startTable(fieldCount: Field.poolFieldCount)
            builder.add(padding.rawValue, at: Field.padding)
            builder.add(strideW, at: Field.strideW)
            builder.add(strideH, at: Field.strideH)
            builder.add(filterWidth, at: Field.poolFilterWidth)
            builder.add(filterHeight, at: Field.poolFilterHeight)
            builder.add(activation.rawValue, at: Field.poolActivation)
        case .fullyConnected(let activation):
            builder.startTable(fieldCount: Field.fullyConnectedFieldCount)
            builder.add(activation.rawValue, at: Field.fullyConnectedActivation)
        case .reshape(let newShape):
            let shape = builder.createVector(newShape)
            builder.startTable(fieldCount: Field.reshapeFieldCount)
            builder.add(shape, at: Field.reshapeNewShape)
        case .softmax(let beta):
            builder.startTable(fieldCount: Field.softmaxFieldCount)
            builder.add(beta, at: Field.softmaxBeta)
        }
        return builder.endTable()
    }

    private func serializeSubgraph(
        tensors: [FlatBufferBuilder.Offset], operators: [FlatBufferBuilder.Offset],
        into builder: inout FlatBufferBuilder
    ) -> FlatBufferBuilder.Offset {
        let tensorVector = builder.createVector(offsets: tensors)
        let inputVector = builder.createVector(inputs)
        let outputVector = builder.createVector(outputs)
        let operatorVector = builder.createVector(offsets: operators)
        let name = builder.createString("main")
        builder.startTable(fieldCount: TFLiteSchema.SubGraph.fieldCount)
        builder.add(tensorVector, at: TFLiteSchema.SubGraph.tensors)
        builder.add(inputVector, at: TFLiteSchema.SubGraph.inputs)
        builder.add(outputVector, at: TFLiteSchema.SubGraph.outputs)
        builder.add(operatorVector, at: TFLiteSchema.SubGraph.operators)
        builder.add(name, at: TFLiteSchema.SubGraph.name)
        return builder.endTable()
    }
}

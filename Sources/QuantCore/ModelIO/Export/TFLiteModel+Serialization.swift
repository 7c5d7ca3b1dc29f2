import Foundation

extension TFLiteModel {
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
        case .depthwiseConv2D(let padding, let strideW, let strideH, let depthMultiplier, let activation):
            builder.startTable(fieldCount: Field.depthwiseFieldCount)
            builder.add(padding.rawValue, at: Field.padding)
            builder.add(strideW, at: Field.strideW)
            builder.add(strideH, at: Field.strideH)
            builder.add(depthMultiplier, at: Field.depthwiseMultiplier)
            builder.add(activation.rawValue, at: Field.depthwiseActivation)
            builder.add(Int32(1), at: Field.depthwiseDilationW, default: 1)
            builder.add(Int32(1), at: Field.depthwiseDilationH, default: 1)
        case .add(let activation):
            builder.startTable(fieldCount: Field.addFieldCount)
            builder.add(activation.rawValue, at: Field.addActivation)
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
        case .concatenation(let axis, let activation):
            builder.startTable(fieldCount: Field.concatenationFieldCount)
            builder.add(axis, at: Field.concatenationAxis)
            builder.add(activation.rawValue, at: Field.concatenationActivation)
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

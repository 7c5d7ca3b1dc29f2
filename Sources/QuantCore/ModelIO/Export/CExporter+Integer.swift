extension CExporter {
    /// Why an exported plan is in the integer form.
    static let integerReason =
        "every layer has 8-bit symmetric weights and 8-bit activations: the model eval --integer runs"

    /// The C export of `plan` applied with `workbench`: the integer form when the plan has one
    /// (the `IntegerModel` `eval --integer` runs, requantizing as `requantization` says, and no
    /// filters removed), else the float form
    /// (filters removed by structured pruning cut out), with the reason.
    ///
    /// - Throws: `ModelIOError.incompatible` for what neither form can express; `PlanError` and
    ///   the errors of `Workbench.apply`.
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, name: String, path: String,
        requantization: Requantization = .float
    ) throws
        -> CExport
    {
        let reason: String
        do {
            let (quantized, integer) = try workbench.integerModel(for: plan, requantization: requantization)
            guard quantized.filterRemovals.isEmpty else {
                throw IntegerLoweringError(
                    "structured pruning removes filters, which only the float form cuts out of the code")
            }
            let input = workbench.graph.inputs.first { $0.name == integer.inputName }
            let shape = input?.shape.dropFirst().compactMap { $0 } ?? []
            guard let input, shape.count == input.shape.count - 1 else {
                throw IntegerLoweringError("the input \(integer.inputName) has a dynamic extent")
            }
            return try generateInteger(
                integer, inputShape: shape, name: name, path: path, sizeModelBytes: quantized.size.currentBytes,
                floatBytes: quantized.size.floatBytes)
        } catch let refusal as IntegerLoweringError {
            reason = "no integer form: \(refusal.description)"
        } catch ModelIOError.incompatible(_, let detail) {
            reason = "no integer form: \(detail)"
        }
        let quantized = try workbench.apply(plan)
        let removed = FilterRemoval.applying(quantized.filterRemovals, to: workbench.graph, model: quantized)
        return try generate(removed.model, graph: removed.graph, name: name, path: path, reason: reason)
    }

    /// One activation of the integer form: its extents (batch 1 first), codes and arena buffer.
    struct IntegerValue {
        var shape: [Int]
        var quantization: ActivationQuantization
        var buffer: Int
        var count: Int { shape.reduce(1, *) }
        /// The C type of one code: 8-bit codes in `int8_t` / `uint8_t`, wider (an Add's sum) in 16 bits.
        var cType: String {
            quantization.bitWidth <= 8
                ? (quantization.isSigned ? "int8_t" : "uint8_t") : (quantization.isSigned ? "int16_t" : "uint16_t")
        }
        var codeBytes: Int { quantization.bitWidth <= 8 ? 1 : 2 }
    }

    /// Generates the integer form of `integer` for one example of `inputShape` (without batch);
    /// the header states `sizeModelBytes` and `floatBytes` (when known) beside the flash.
    ///
    /// - Throws: `ModelIOError.incompatible` when a step's shapes do not fit.
    static func generateInteger(
        _ integer: IntegerModel, inputShape: [Int], name: String, path: String, sizeModelBytes: Int = 0,
        floatBytes: Int? = nil
    ) throws -> CExport {
        let name = identifier(name)
        func incompatible(_ detail: String) -> ModelIOError { .incompatible(path: path, detail: "C export: \(detail)") }
        var values: [String: IntegerValue] = [:]
        var buffers: [ArenaPlan.Buffer] = []
        func define(_ value: String, shape: [Int], quantization: ActivationQuantization, at position: Int) {
            var info = IntegerValue(shape: shape, quantization: quantization, buffer: buffers.count)
            buffers.append(
                ArenaPlan.Buffer(bytes: max(info.count, 1) * info.codeBytes, first: position, last: position))
            info.buffer = buffers.count - 1
            values[value] = info
        }
        func read(_ value: String, at position: Int) throws -> IntegerValue {
            guard let info = values[value] else {
                throw incompatible("the integer model reads \(value) before it is computed")
            }
            buffers[info.buffer].last = max(buffers[info.buffer].last, position)
            return info
        }
        define(integer.inputName, shape: [1] + inputShape, quantization: integer.inputQuantization, at: 0)
        var operands: [(inputs: [IntegerValue], output: String)] = []
        do {
            for (index, step) in integer.steps.enumerated() {
                let position = index + 1
                switch step {
                case .linear(let layer):
                    let x = try read(layer.input, at: position)
                    let shape = try linearShape(layer, input: x.shape)
                    define(layer.output, shape: shape, quantization: layer.outputQuantization, at: position)
                    operands.append(([x], layer.output))
                case .maxPool(let input, let output, let attributes),
                    .averagePool(let input, let output, let attributes):
                    let x = try read(input, at: position)
                    define(
                        output, shape: try poolShape(attributes, input: x.shape), quantization: x.quantization,
                        at: position)
                    operands.append(([x], output))
                case .add(let first, let second, let output):
                    let (a, b) = (try read(first, at: position), try read(second, at: position))
                    guard a.shape == b.shape else {
                        throw IntegerLoweringError("Add of shapes \(a.shape) and \(b.shape) needs equal shapes")
                    }
                    let sum = try ActivationQuantization(
                        scale: a.quantization.scale,
                        bitWidth: min(max(a.quantization.bitWidth, b.quantization.bitWidth) + 2, 16), isSigned: true)
                    define(output, shape: a.shape, quantization: sum, at: position)
                    operands.append(([a, b], output))
                case .requantizedAdd(let add):
                    let (a, b) = (try read(add.first, at: position), try read(add.second, at: position))
                    guard a.shape == b.shape else {
                        throw IntegerLoweringError("Add of shapes \(a.shape) and \(b.shape) needs equal shapes")
                    }
                    define(add.output, shape: a.shape, quantization: add.outputQuantization, at: position)
                    operands.append(([a, b], add.output))
                case .clamp(let input, let output, _):
                    let x = try read(input, at: position)
                    define(output, shape: x.shape, quantization: x.quantization, at: position)
                    operands.append(([x], output))
                case .reshape(let input, let output, let flattenAxis, let target):
                    var x = try read(input, at: position)
                    x.shape = try IntegerKernels.reshaped(x.shape, flattenAxis: flattenAxis, target: target)
                    values[output] = x  // the same codes: an alias, live as long as either name is read
                    operands.append(([x], output))
                case .globalAveragePool(let input, let output):
                    let x = try read(input, at: position)
                    guard x.shape.count == 4 else { throw IntegerLoweringError("GlobalAveragePool of \(x.shape)") }
                    define(output, shape: [1, x.shape[1], 1, 1], quantization: x.quantization, at: position)
                    operands.append(([x], output))
                case .requantize(let input, let output, let quantization):
                    let x = try read(input, at: position)
                    define(output, shape: x.shape, quantization: quantization, at: position)
                    operands.append(([x], output))
                case .concat(let inputs, let output, let axis):
                    let xs = try inputs.map { try read($0, at: position) }
                    let shape = try IntegerKernels.concatShape(xs.map(\.shape), axis: axis)
                    define(output, shape: shape, quantization: xs[0].quantization, at: position)
                    operands.append((xs, output))
                }
            }
            guard values[integer.outputName] != nil else {
                throw IntegerLoweringError("the integer model never computes its output \(integer.outputName)")
            }
            _ = try read(integer.outputName, at: integer.steps.count + 1)
        } catch let error as IntegerLoweringError {
            throw incompatible(error.description)
        } catch let error as QuantizationError {
            throw incompatible("\(error)")
        }
        let arena = ArenaPlan.plan(buffers, alignment: 2)
        var emitter = IntegerEmitter(name: name, offsets: arena.offsets)
        emitter.requantization = integer.requantization
        for (step, operand) in zip(integer.steps, operands) {
            guard let output = values[operand.output] else { continue }
            emitter.emit(step, inputs: operand.inputs, output: output)
        }
        guard let input = values[integer.inputName], let output = values[integer.outputName] else {
            throw incompatible("the integer model has no input or output")
        }
        var export = CExport(
            name: name, header: "", source: "", arrays: emitter.arrays, inputCount: input.count,
            outputCount: output.count, form: .integer, reason: integerReason, ramBytes: arena.totalBytes,
            sizeModelBytes: sizeModelBytes)
        export.requantization = integer.requantization
        export.source = integerSource(for: export, emitter: emitter, input: input, output: output, arena: arena)
        export.header = integerHeader(for: export, input: input, output: output, floatBytes: floatBytes)
        return export
    }

    /// The output extents of a Conv (NCHW) or Gemm / MatMul (`[1, out]`) step.
    static func linearShape(_ layer: IntegerLinear, input shape: [Int]) throws -> [Int] {
        guard let geometry = layer.convolution else {
            guard shape.reduce(1, *) == layer.depth else {
                throw IntegerLoweringError(
                    "\(layer.layerName): input shape \(shape) does not have \(layer.depth) features")
            }
            return [1, layer.outputChannels]
        }
        let (kh, kw) = (geometry.kernel[0], geometry.kernel[1])
        guard shape.count == 4, kh * kw > 0, (layer.depth / (kh * kw)) * geometry.group == shape[1],
            layer.depth % (kh * kw) == 0, layer.outputChannels % geometry.group == 0
        else {
            throw IntegerLoweringError("\(layer.layerName): input shape \(shape) does not fit the weights")
        }
        let height = IntegerKernels.outputSize(
            shape[2], kernel: kh, stride: geometry.strides[0], dilation: geometry.dilations[0],
            padding: geometry.pads[0] + geometry.pads[2])
        let width = IntegerKernels.outputSize(
            shape[3], kernel: kw, stride: geometry.strides[1], dilation: geometry.dilations[1],
            padding: geometry.pads[1] + geometry.pads[3])
        guard height > 0, width > 0 else {
            throw IntegerLoweringError("\(layer.layerName): a \(shape[2])×\(shape[3]) input is smaller than the kernel")
        }
        return [1, layer.outputChannels, height, width]
    }

    /// The output extents of a 2-D pooling step (floor mode).
    static func poolShape(_ attributes: PoolAttributes, input shape: [Int]) throws -> [Int] {
        let pool = PoolGeometry(attributes)
        guard shape.count == 4, pool.kernel.count == 2 else {
            throw IntegerLoweringError("pooling needs an NCHW input and a 2-D kernel, got \(shape)")
        }
        let height = IntegerKernels.outputSize(
            shape[2], kernel: pool.kernel[0], stride: pool.strides[0], dilation: pool.dilations[0],
            padding: pool.pads[0] + pool.pads[2], ceilMode: attributes.ceilMode, padBegin: pool.pads[0])
        let width = IntegerKernels.outputSize(
            shape[3], kernel: pool.kernel[1], stride: pool.strides[1], dilation: pool.dilations[1],
            padding: pool.pads[1] + pool.pads[3], ceilMode: attributes.ceilMode, padBegin: pool.pads[1])
        guard height > 0, width > 0 else {
            throw IntegerLoweringError("pooling: a \(shape[2])×\(shape[3]) input is smaller than the window")
        }
        return [shape[0], shape[1], height, width]
    }

    /// A pooling window with the defaults filled in (strides and dilations 1, pads 0).
    struct PoolGeometry {
        var kernel: [Int], strides: [Int], dilations: [Int], pads: [Int]

        init(_ attributes: PoolAttributes) {
            kernel = attributes.kernelShape
            strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
            dilations = attributes.dilations.isEmpty ? [1, 1] : attributes.dilations
            pads = attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads
        }
    }
}

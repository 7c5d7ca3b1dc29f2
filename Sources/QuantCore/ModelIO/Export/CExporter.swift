import Foundation

/// A generated C99 model: `NAME.h` and `NAME.c`, plus the `static const` arrays the source holds.
public struct CExport: Sendable, Equatable {
    /// How the generated code computes.
    public enum Form: String, Sendable {
        /// int8 weights, int32 biases, per-channel multipliers (float32, or TFLite's fixed point)
        /// and 8-bit activation codes: the `IntegerModel` `eval --integer` runs, step for step.
        case integer = "integer int8"
        /// Weights decoded to float row by row, float arithmetic, activations fake-quantized.
        case float = "float with decoded weights"
    }

    /// The C identifier prefixing every symbol (`NAME_predict`, `NAME_FLASH_BYTES`).
    public var name: String
    /// The text of `NAME.h`.
    public var header: String
    /// The text of `NAME.c`.
    public var source: String
    /// Every `static const` array of the source, in order: all of the model's flash.
    public var arrays: [CExporter.CArray]
    /// Floats `NAME_predict` reads.
    public var inputCount: Int
    /// Floats `NAME_predict` writes.
    public var outputCount: Int

    /// The arithmetic of the generated code.
    public var form: Form = .float
    /// Why this form (one line; for `.float`, why the plan has no integer form).
    public var reason = "float requested"
    /// Bytes of the static scratch buffers `NAME_predict` uses: the peak RAM (`NAME_RAM_BYTES`).
    public var ramBytes = 0
    /// The plan's size in `SizeModel` (equal to `flashBytes` in the float form).
    public var sizeModelBytes = 0
    /// How the integer form requantizes (`nil` in the float form).
    public var requantization: Requantization? = nil

    /// Bytes of all `static const` arrays (`NAME_FLASH_BYTES`); in the float form it equals
    /// `SizeModel`'s `currentBytes` for the plan.
    public var flashBytes: Int { arrays.reduce(0) { $0 + $1.byteCount } }
}

/// The `c` export: a self-contained C99 header and source for microcontrollers.
///
/// Every weight is stored exactly as `SizeModel` counts it, so the flash footprint (the sum of
/// all `static const` arrays, written as `NAME_FLASH_BYTES`) equals the size the dashboard shows:
/// bit-packed `b`-bit codes (LSB-first, `⌈n · b / 8⌉` bytes per tensor) or, where the size model
/// chose the sparse encoding, an occupancy bitmap plus the packed codes of the non-zeros; float32
/// scales; zero points in `⌈b / 8⌉` little-endian bytes each; k-means codebooks padded to `2^b`
/// entries; float32 biases, float layers and every other initializer. Fixed format constants
/// (NF4 levels, FP8 decoding) are code, not arrays. Activation quantization parameters are
/// literals in the code (the size model counts no bytes for them).
///
/// `int NAME_predict(const float *input, float *logits)` runs one example with no allocation:
/// activations live in `static float` buffers sized at generation time and reused once a value
/// is no longer read (so it is not reentrant),
/// and each layer decodes one output channel's row of weights at a time into a static row buffer.
/// It returns the index of the largest logit. Supported operators: Gemm (transB = 1), Conv 2-D
/// (pads, strides, group 1), Relu, MaxPool 2-D, Flatten, Reshape (constant shape), Identity,
/// Dropout. Link with `-lm` (`rintf`, for activation quantization).
public enum CExporter {
    /// Generates the C export of `model` (a plan applied to `graph` by `Workbench.apply`).
    ///
    /// - Parameters:
    ///   - name: the base name; non-identifier characters become `_`.
    ///   - path: named in errors (the destination).
    /// - Throws: `ModelIOError.incompatible` for an operator or layout the generator cannot
    ///   express, with a one-line reason.
    public static func generate(
        _ model: QuantizedModel, graph: Graph, name: String, path: String, reason: String = "float requested"
    ) throws -> CExport {
        let name = identifier(name)
        guard graph.inputs.count == 1, graph.outputs.count == 1, let input = graph.inputs.first,
            let output = graph.outputs.first
        else {
            throw ModelIOError.incompatible(
                path: path, detail: "C export: the model must have one input and one output")
        }
        let inputShape = input.shape.dropFirst().compactMap { $0 }
        guard inputShape.count == input.shape.count - 1 else {
            throw ModelIOError.incompatible(path: path, detail: "C export: input \(input.name) has a dynamic extent")
        }
        var arrays: [CArray] = []
        var weightsByNode: [Int: (weights: EncodedWeights, bias: String?)] = [:]
        var covered = Set<String>()
        let layerIdentifiers = uniqueIdentifiers(graph.layers.map(\.name))
        for layer in graph.layers {
            guard layer.weightInputIndex == 1 else {
                throw ModelIOError.incompatible(
                    path: path,
                    detail: "C export: layer \(Printable.name(layer.name)) is a \(layer.opName) over a weight table "
                        + "(an embedding), which the C export does not support; use the QDQ ONNX export")
            }
            let quantized = model.report(for: layer.name)?.quantized
            // A float layer's weights may be equalized (cross-layer equalization).
            let equalized = quantized == nil ? model.weightOverrides[layer.weightName] : nil
            guard let float = equalized ?? graph.initializers[layer.weightName] else { continue }
            let prefix = "\(name)_\(layerIdentifiers[layer.name] ?? identifier(layer.name))"
            let encoded = try encodeWeights(of: layer, float: float, quantized: quantized, prefix: prefix, path: path)
            arrays += encoded.arrays
            var biasArray: String? = nil
            if let biasName = layer.biasName, let bias = model.weightOverrides[biasName] ?? graph.initializers[biasName]
            {
                biasArray = "\(prefix)_bias"
                arrays.append(
                    CArray(name: "\(prefix)_bias", comment: "[\(bias.count)] float32 bias", floats: bias.storage))
            }
            weightsByNode[layer.nodeIndex] = (encoded, biasArray)
            covered.formUnion([layer.weightName, layer.biasName].compactMap { $0 })
        }
        var constants: [String] = []
        let constantInitializers = graph.initializers.sorted(by: { $0.key < $1.key }).filter {
            !covered.contains($0.key)
        }
        let constantIdentifiers = uniqueIdentifiers(constantInitializers.map(\.key))
        for (initializer, tensor) in constantInitializers {
            let arrayName = "\(name)_const_\(constantIdentifiers[initializer] ?? identifier(initializer))"
            constants.append(arrayName)
            let shape = tensor.shape.map(String.init).joined(separator: ", ")
            arrays.append(CArray(name: arrayName, comment: "\(initializer) [\(shape)] float32", floats: tensor.storage))
        }

        var emitter = NodeEmitter(name: name, path: path)
        emitter.shapes[input.name] = inputShape
        emitter.pointers[input.name] = "input"
        emitter.planLifetimes(of: graph)
        for (index, node) in graph.nodes.enumerated() {
            emitter.currentNode = index
            let layer = weightsByNode[index]
            try emitter.emit(node, graph: graph, weights: layer?.weights, bias: layer?.bias)
            if let value = node.outputs.first, let activation = model.activationQuantization[value],
                let pointer = emitter.pointers[value], pointer != "input"
            {
                let count = (emitter.shapes[value] ?? []).reduce(1, *)
                let range = activation.codeRange
                emitter.body.append(
                    "qd_fake_quantize(\(pointer), \(count)u, \(cFloat(activation.scale)), "
                        + "\(cFloat(Float(activation.zeroPoint))), \(cFloat(Float(range.lowerBound))), "
                        + "\(cFloat(Float(range.upperBound))));")
            }
        }
        guard let logits = emitter.pointers[output.name], let outputShape = emitter.shapes[output.name] else {
            throw ModelIOError.incompatible(path: path, detail: "C export: output \(output.name) is never computed")
        }
        let symbols = arrays.map(\.name) + emitter.buffers.map(\.name)
        if let clash = Dictionary(grouping: symbols, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ModelIOError.incompatible(
                path: path, detail: "C export: two arrays would both be named \(clash); rename a layer or initializer")
        }
        let export = CExport(
            name: name, header: "", source: "", arrays: arrays, inputCount: inputShape.reduce(1, *),
            outputCount: outputShape.reduce(1, *))
        guard export.flashBytes == model.size.currentBytes else {
            throw ModelIOError.incompatible(
                path: path,
                detail:
                    "C export: the arrays hold \(export.flashBytes) bytes but the size model counts \(model.size.currentBytes)"
            )
        }
        let usesRows = !weightsByNode.isEmpty
        let rowLength = weightsByNode.values.map(\.weights.rowLength).max() ?? 0
        var result = export
        result.ramBytes =
            SizeModel.floatByteCount * (emitter.buffers.reduce(0) { $0 + $1.count } + (usesRows ? rowLength : 0))
        result.sizeModelBytes = model.size.currentBytes
        result.reason = reason
        result.header = header(for: result, model: model)
        result.source = source(
            for: export, emitter: emitter, logits: logits, constants: constants,
            rowLength: usesRows ? rowLength : 0, fakeQuantizes: !model.activationQuantization.isEmpty,
            nf4Levels: model.layerReports.compactMap(\.quantized).first { $0.settings.scheme == .nf4 }?.codebook ?? [])
        return result
    }

    /// Writes `NAME.h` and `NAME.c` atomically as a pair into `folder` (both are written, then
    /// both renamed; on failure the old pair stays); returns their URLs.
    ///
    /// - Throws: `ModelIOError.exists` (before writing anything) when either exists and
    ///   `overwrite` is false; `ModelIOError.writeFailed` (also for an empty name, or a
    ///   destination that is not a regular file).
    @discardableResult
    public static func write(_ export: CExport, into folder: URL, overwrite: Bool) throws -> [URL] {
        guard !export.name.isEmpty else {
            throw ModelIOError.writeFailed(path: folder.path, reason: "the export needs a file name, not only a folder")
        }
        let header = folder.appendingPathComponent("\(export.name).h")
        let source = folder.appendingPathComponent("\(export.name).c")
        for url in [header, source] where !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
        try AtomicFile.write([(Data(export.header.utf8), header), (Data(export.source.utf8), source)])
        return [header, source]
    }

    /// A distinct C identifier for each of `names`, in order: `identifier(name)`, then `_2`, `_3`, …
    /// appended when an earlier name already maps to it (`fc-1`, `fc_1`, `fc.1` → `fc_1`, `fc_1_2`, `fc_1_3`).
    static func uniqueIdentifiers(_ names: [String]) -> [String: String] {
        var result: [String: String] = [:]
        var used = Set<String>()
        for name in names where result[name] == nil {
            let base = identifier(name)
            var candidate = base
            var suffix = 2
            while used.contains(candidate) {
                candidate = "\(base)_\(suffix)"
                suffix += 1
            }
            used.insert(candidate)
            result[name] = candidate
        }
        return result
    }

    /// `text` as a C identifier: letters, digits and `_`, not starting with a digit.
    public static func identifier(_ text: String) -> String {
        let mapped = String(
            text.unicodeScalars.map { $0.isASCII && (CharacterSet.alphanumerics.contains($0)) ? Character($0) : "_" })
        guard let first = mapped.first, !first.isNumber else { return "_" + mapped }
        return mapped
    }

    /// A C `float` literal that reads back as exactly `value`.
    static func cFloat(_ value: Float) -> String {
        if value.isNaN { return "NAN" }
        if value.isInfinite { return value < 0 ? "-INFINITY" : "INFINITY" }
        let text = "\(value)"
        return text.contains(".") || text.contains("e") ? "\(text)f" : "\(text).0f"
    }
}

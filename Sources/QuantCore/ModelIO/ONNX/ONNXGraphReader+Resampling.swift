import Foundation

extension ONNXGraphReader {
    /// Converts ConvTranspose, Resize, Upsample, InstanceNormalization, GroupNormalization, TopK
    /// and Einsum; operands older opsets give as attributes (Upsample's scales before opset 9,
    /// TopK's k before 10) become initializers.
    ///
    /// - Returns: false when `opType` is none of them (the caller reports it as unsupported).
    mutating func readResamplingOperator(
        _ opType: String, _ node: inout Node, attributes: ONNXAttributes, display: String
    ) throws -> Bool {
        switch opType {
        case "ConvTranspose":
            node.op = .convTranspose(
                ConvTransposeAttributes(
                    kernelShape: try attributes.ints("kernel_shape") ?? [],
                    strides: try attributes.ints("strides") ?? [],
                    pads: try attributes.ints("pads") ?? [], dilations: try attributes.ints("dilations") ?? [],
                    group: try attributes.int("group") ?? 1, autoPad: try attributes.autoPad(),
                    outputPadding: try attributes.ints("output_padding") ?? [],
                    outputShape: try attributes.ints("output_shape") ?? []))
        case "Resize":
            node.op = .resize(try resizeAttributes(attributes))
            if opset < 11 {
                // Resize-10 took X and scales; later versions X, roi, scales, sizes.
                node.inputs = [node.inputs.first ?? "", "", node.inputs.count > 1 ? node.inputs[1] : ""]
            }
        case "Upsample":
            node.op = .resize(try resizeAttributes(attributes))
            var scales = node.inputs.count > 1 ? node.inputs[1] : ""
            if opset < 9 {
                guard let values = try attributes.floats("scales") else {
                    throw attributes.invalid("Upsample needs a 'scales' attribute before opset 9")
                }
                scales = try attributeOperand(values, type: .float32, operand: "scales", of: node, display: display)
            }
            node.inputs = [node.inputs.first ?? "", "", scales]
        case "InstanceNormalization":
            node.op = .instanceNormalization(epsilon: try attributes.float("epsilon") ?? 1e-5)
        case "GroupNormalization":
            guard let groups = try attributes.int("num_groups"), groups >= 1 else {
                throw attributes.invalid("GroupNormalization needs a positive 'num_groups'")
            }
            // Opset 18 scaled per group, opset 21 per channel; statistics run in Double either way.
            node.op = .groupNormalization(
                groups: groups, epsilon: try attributes.float("epsilon") ?? 1e-5, perChannelAffine: opset >= 21)
        case "TopK":
            if opset < 10 {
                guard let k = try attributes.int("k") else {
                    throw attributes.invalid("TopK needs 'k' before opset 10")
                }
                node.inputs = [
                    node.inputs.first ?? "", try attributeOperand([Float(k)], operand: "k", of: node, display: display),
                ]
            }
            node.op = .topK(
                axis: try attributes.int("axis") ?? -1, largest: try attributes.flag("largest") ?? true,
                sorted: try attributes.flag("sorted") ?? true)
        case "Einsum":
            guard let text = try attributes.string("equation") else {
                throw attributes.invalid("Einsum needs 'equation'")
            }
            do {
                node.op = .einsum(try EinsumEquation(text))
            } catch let refusal as EinsumEquation.Refusal {
                throw attributes.unsupported("equation '\(text)': \(refusal.reason)")
            }
        default:
            return false
        }
        return true
    }

    /// Resize's and Upsample's attributes; what the engine lacks (cubic, antialias,
    /// `tf_crop_and_resize`, `exclude_outside` with nearest) is refused by name.
    private func resizeAttributes(_ attributes: ONNXAttributes) throws -> ResizeAttributes {
        var result = ResizeAttributes()
        let mode = try attributes.string("mode") ?? "nearest"
        switch mode {
        case "nearest": result.mode = .nearest
        case "linear", "bilinear": result.mode = .linear
        case "cubic": throw attributes.unsupported("mode 'cubic' (only nearest and linear)")
        default: throw attributes.invalid("mode '\(mode)' is not nearest, linear or cubic")
        }
        guard attributes.op == "Resize", opset >= 11 else {
            // Upsample and Resize-10: x / scale, rounded as onnxruntime does.
            result.coordinateTransformation = .asymmetric
            result.nearestMode = .legacy
            return result
        }
        let transformation = try attributes.string("coordinate_transformation_mode") ?? "half_pixel"
        guard let coordinates = ResizeAttributes.CoordinateTransformation(rawValue: transformation) else {
            throw attributes.unsupported(
                "coordinate_transformation_mode '\(transformation)' "
                    + "(only half_pixel, half_pixel_symmetric, pytorch_half_pixel, asymmetric, align_corners)")
        }
        result.coordinateTransformation = coordinates
        let rounding = try attributes.string("nearest_mode") ?? "round_prefer_floor"
        guard let nearest = ResizeAttributes.NearestMode(rawValue: rounding), nearest != .legacy else {
            throw attributes.invalid(
                "nearest_mode '\(rounding)' is not round_prefer_floor, round_prefer_ceil, floor or ceil")
        }
        result.nearestMode = nearest
        if try attributes.flag("antialias") == true { throw attributes.unsupported("antialias = 1") }
        if result.mode == .nearest, try attributes.flag("exclude_outside") == true {
            throw attributes.unsupported("exclude_outside = 1 with mode 'nearest'")
        }
        result.axes = try attributes.ints("axes") ?? []
        let policy = try attributes.string("keep_aspect_ratio_policy") ?? "stretch"
        guard let aspect = ResizeAttributes.AspectRatioPolicy(rawValue: policy) else {
            throw attributes.invalid("keep_aspect_ratio_policy '\(policy)' is not stretch, not_larger or not_smaller")
        }
        result.aspectRatioPolicy = aspect
        return result
    }
}

import Foundation

/// Resize (and Upsample) by nearest or linear interpolation, one axis at a time.
extension Ops {
    /// The output extents and per-axis scales of a Resize, from `scales` or `sizes`.
    ///
    /// Follows ONNX's reference: from scales, `out = ⌊scale · in⌋`; from sizes, `scale = out / in`,
    /// and with `not_larger`/`not_smaller` one scale (the smallest or largest) for all listed
    /// axes, `out = round_half_up(scale · in)`.
    static func resizeTarget(
        _ shape: [Int], scales: [Float]?, sizes: [Int]?, attributes: ResizeAttributes, node: String
    ) throws -> (extents: [Int], scales: [Double]) {
        let op = "Resize", rank = shape.count
        var axes: [Int] = []
        for axis in attributes.axes.isEmpty ? Array(0..<rank) : attributes.axes {
            let resolved = try normalizedAxis(axis, rank: rank, node: node, op: op)
            guard !axes.contains(resolved) else {
                throw mismatch(node, op, "axes \(attributes.axes) lists an axis twice")
            }
            axes.append(resolved)
        }
        var extents = shape
        var factors = [Double](repeating: 1, count: rank)
        if let sizes, !sizes.isEmpty {
            guard sizes.count == axes.count else {
                throw mismatch(node, op, "sizes \(sizes) needs \(axes.count) entries for X \(shape)")
            }
            guard sizes.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }) else {
                throw mismatch(node, op, "sizes \(sizes) must be non-negative")
            }
            for (position, axis) in axes.enumerated() {
                factors[axis] = Double(sizes[position]) / Double(max(shape[axis], 1))
                extents[axis] = sizes[position]
            }
            if attributes.aspectRatioPolicy != .stretch {
                let chosen = axes.map { factors[$0] }
                let scale = (attributes.aspectRatioPolicy == .notLarger ? chosen.min() : chosen.max()) ?? 1
                for axis in axes {
                    factors[axis] = scale
                    extents[axis] = Int(scale * Double(shape[axis]) + 0.5)
                }
            }
        } else if let scales, !scales.isEmpty {
            guard scales.count == axes.count else {
                throw mismatch(node, op, "scales \(scales) needs \(axes.count) entries for X \(shape)")
            }
            for (position, axis) in axes.enumerated() {
                let scale = Double(scales[position])
                guard scale > 0, scale.isFinite, scale * Double(shape[axis]) < Double(1 << 24) else {
                    throw mismatch(node, op, "scale \(scales[position]) on axis \(axis) must be positive and finite")
                }
                factors[axis] = scale
                extents[axis] = Int((scale * Double(shape[axis])).rounded(.down))
            }
        } else {
            throw mismatch(node, op, "needs scales or sizes")
        }
        try checkElementCount(extents, node: node, op: op)
        return (extents, factors)
    }

    /// ONNX Resize of `x` to `extents` with per-axis `scales` (from `resizeTarget`).
    ///
    /// Separable: each axis whose extent or scale changes is resized in turn. Along an axis an
    /// output position `o` maps to the input coordinate `c` of the coordinate transformation;
    /// `nearest` takes the element at `c` rounded by the nearest mode, `linear` blends the
    /// elements at `⌊c⌋` and `⌊c⌋ + 1` by the fraction; indices clamp to the input (edge values).
    static func resize(
        _ x: Tensor, extents: [Int], scales: [Double], attributes: ResizeAttributes
    ) -> Tensor {
        var result = x
        for axis in 0..<x.rank where extents[axis] != result.shape[axis] || scales[axis] != 1 {
            result = resizeAxis(result, axis: axis, extent: extents[axis], scale: scales[axis], attributes: attributes)
        }
        return result
    }

    /// Resizes one axis: `[outer, in, inner]` → `[outer, out, inner]`.
    private static func resizeAxis(
        _ x: Tensor, axis: Int, extent: Int, scale: Double, attributes: ResizeAttributes
    ) -> Tensor {
        let input = x.shape[axis]
        let outer = product(x.shape, 0..<axis), inner = product(x.shape, (axis + 1)..<x.rank)
        var shape = x.shape
        shape[axis] = extent
        guard input > 0 else { return Tensor(shape: shape, repeating: 0) }
        // Per output position: the two input indices and the weight of the second.
        var taps: [(Int, Int, Float)] = []
        let scaledExtent = scale * Double(input)
        for position in 0..<extent {
            let o = Double(position)
            let coordinate: Double
            switch attributes.coordinateTransformation {
            case .halfPixel: coordinate = (o + 0.5) / scale - 0.5
            case .pytorchHalfPixel: coordinate = scaledExtent == 1 ? -0.5 : (o + 0.5) / scale - 0.5
            case .asymmetric: coordinate = o / scale
            case .alignCorners: coordinate = scaledExtent == 1 ? 0 : o * Double(input - 1) / (scaledExtent - 1)
            case .halfPixelSymmetric:
                let adjustment = Double(extent) / scaledExtent
                coordinate = Double(input) / 2 * (1 - adjustment) + (o + 0.5) / scale - 0.5
            }
            let low = coordinate.rounded(.down)
            let fraction = coordinate - low
            func clamped(_ index: Double) -> Int { Int(min(max(index, 0), Double(input - 1))) }
            switch attributes.mode {
            case .linear:
                taps.append((clamped(low), clamped(low + 1), Float(fraction)))
            case .nearest:
                let up: Bool
                switch attributes.nearestMode {
                case .roundPreferFloor: up = fraction > 0.5
                case .roundPreferCeil: up = fraction >= 0.5
                case .floor: up = false
                case .ceil: up = fraction > 0
                case .legacy: up = scale < 1 && fraction > 0
                }
                let index = clamped(up ? low + 1 : low)
                taps.append((index, index, 0))
            }
        }
        return x.storage.withUnsafeBufferPointer { source in
            makeTensor(shape: shape) { output in
                var index = 0
                for block in 0..<outer {
                    let base = block * input * inner
                    for (first, second, weight) in taps {
                        let a = base + first * inner, b = base + second * inner
                        for offset in 0..<inner {
                            let low = source[a + offset]
                            output[index] = weight == 0 ? low : low + (source[b + offset] - low) * weight
                            index += 1
                        }
                    }
                }
            }
        }
    }
}

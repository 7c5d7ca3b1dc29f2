/// The resolved geometry of a 1-D or 2-D sliding window (Conv, MaxPool, AveragePool).
///
/// Resolution applies ONNX's rules: explicit `pads` or `auto_pad`, dilations, and for pooling
/// `ceil_mode`, where (as in PyTorch and onnxruntime) a last window that would start inside
/// the end padding is dropped. For each spatial axis:
///
/// | auto_pad | output extent | padding |
/// | --- | --- | --- |
/// | NOTSET | `⌊(in + pb + pe − dk) / s⌋ + 1` (`⌈⌉` with ceil_mode) | `pads` |
/// | VALID | `⌊(in − dk) / s⌋ + 1` | none |
/// | SAME_UPPER / SAME_LOWER | `⌈in / s⌉` | total `max(0, (out − 1)·s + dk − in)`, odd extra at end / begin |
///
/// where `dk = (k − 1)·d + 1` is the dilated kernel extent.
struct SlidingWindow: Sendable, Equatable {
    /// One spatial axis of the window.
    struct Axis: Sendable, Equatable {
        /// Input extent.
        var input: Int
        /// Kernel extent (undilated).
        var kernel: Int
        /// Step between windows.
        var stride: Int
        /// Spacing between kernel taps.
        var dilation: Int
        /// Padding before the first input element.
        var padBegin: Int
        /// Padding after the last input element (windows may run past it with ceil_mode).
        var padEnd: Int
        /// Number of window positions.
        var output: Int
    }

    /// The spatial axes, outermost first (1 or 2 of them).
    var axes: [Axis]

    /// Resolves the geometry for `inputExtents` (spatial extents only).
    ///
    /// Empty `strides`, `dilations` or `pads` mean ONNX's defaults (1, 1, 0).
    /// - Throws: `GraphError.invalidAttribute` for lists of the wrong length or out-of-range
    ///   values, `GraphError.shapeMismatch` when the window does not fit the padded input.
    init(
        inputExtents: [Int], kernel: [Int], strides: [Int], pads: [Int], dilations: [Int],
        autoPad: AutoPad, ceilMode: Bool = false, node: String, op: String
    ) throws {
        let rank = inputExtents.count
        try SlidingWindow.checkAttributes(
            rank: rank, kernel: kernel, strides: strides, pads: pads, dilations: dilations, node: node, op: op)
        var axes: [Axis] = []
        for axis in 0..<rank {
            let input = inputExtents[axis], k = kernel[axis]
            let s = strides.isEmpty ? 1 : strides[axis]
            let d = dilations.isEmpty ? 1 : dilations[axis]
            let dilatedKernel = (k - 1) * d + 1
            var padBegin = 0, padEnd = 0, output: Int
            switch autoPad {
            case .notSet:
                padBegin = pads.isEmpty ? 0 : pads[axis]
                padEnd = pads.isEmpty ? 0 : pads[axis + rank]
                let span = input + padBegin + padEnd - dilatedKernel
                guard span >= 0 else {
                    throw Ops.mismatch(
                        node, op,
                        "window \(dilatedKernel) is larger than padded input \(input + padBegin + padEnd) on spatial axis \(axis)"
                    )
                }
                output = (ceilMode ? (span + s - 1) / s : span / s) + 1
                if ceilMode, (output - 1) * s >= input + padBegin { output -= 1 }
            case .valid:
                guard input >= dilatedKernel else {
                    throw Ops.mismatch(
                        node, op, "window \(dilatedKernel) is larger than input \(input) on spatial axis \(axis)")
                }
                output = (input - dilatedKernel) / s + 1
            case .sameUpper, .sameLower:
                output = (input + s - 1) / s
                let total = max(0, (output - 1) * s + dilatedKernel - input)
                padBegin = autoPad == .sameUpper ? total / 2 : total - total / 2
                padEnd = total - padBegin
            }
            axes.append(
                Axis(
                    input: input, kernel: k, stride: s, dilation: d, padBegin: padBegin, padEnd: padEnd, output: output)
            )
        }
        self.axes = axes
    }

    /// Checks list lengths and value ranges of window attributes for `rank` spatial axes.
    ///
    /// - Throws: `GraphError.invalidAttribute` naming the attribute.
    static func checkAttributes(
        rank: Int, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], node: String, op: String
    ) throws {
        func invalid(_ detail: String) -> GraphError { .invalidAttribute(node: node, op: op, detail: detail) }
        let limit = 1 << 20  // far beyond any real model; keeps index arithmetic from overflowing
        guard kernel.count == rank else { throw invalid("kernel_shape \(kernel) needs \(rank) entries") }
        guard kernel.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
            throw invalid("kernel_shape \(kernel) must be positive")
        }
        guard strides.isEmpty || strides.count == rank else {
            throw invalid("strides \(strides) needs \(rank) entries")
        }
        guard strides.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
            throw invalid("strides \(strides) must be positive")
        }
        guard dilations.isEmpty || dilations.count == rank else {
            throw invalid("dilations \(dilations) needs \(rank) entries")
        }
        guard dilations.allSatisfy({ $0 >= 1 && $0 <= limit }) else {
            throw invalid("dilations \(dilations) must be positive")
        }
        guard pads.isEmpty || pads.count == 2 * rank else { throw invalid("pads \(pads) needs \(2 * rank) entries") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw invalid("pads \(pads) must be non-negative") }
        guard pads.allSatisfy({ $0 <= limit }) else { throw invalid("pads \(pads) must be at most \(limit)") }
    }

    /// The output spatial extents.
    var outputExtents: [Int] { axes.map(\.output) }

    /// The window as a 2-D `ConvolutionGeometry` over `channels` (a 1-D window gets height 1).
    func convolutionGeometry(channels: Int) -> ConvolutionGeometry {
        let (height, width) = planeAxes
        return ConvolutionGeometry(
            channels: channels, inputHeight: height.input, inputWidth: width.input,
            kernelHeight: height.kernel, kernelWidth: width.kernel,
            strideHeight: height.stride, strideWidth: width.stride,
            padTop: height.padBegin, padLeft: width.padBegin, padBottom: height.padEnd, padRight: width.padEnd,
            dilationHeight: height.dilation, dilationWidth: width.dilation)
    }

    /// The two axes as (height, width), a 1-D window getting a trivial height axis.
    var planeAxes: (height: Axis, width: Axis) {
        let width = axes[axes.count - 1]
        let height =
            axes.count == 2
            ? axes[0] : Axis(input: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, output: 1)
        return (height, width)
    }
}

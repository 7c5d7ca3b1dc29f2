/// One layer of a trainable sequential `Network`; shapes below are per sample (no batch axis).
///
/// Parameters follow PyTorch's layout so exported graphs match what `torch.onnx` writes:
/// `dense` holds a weight `[out, in]` (Gemm with `transB = 1`) and a bias `[out]`;
/// `conv2d` holds a weight `[out, in, k, k]` and a bias `[out]`.
public enum NetworkLayer: Sendable, Equatable, CustomStringConvertible {
    /// Fully connected: `[in]` → `[out]`, `y = W · x + b`.
    case dense(inputs: Int, outputs: Int)
    /// 2-D convolution with a square `kernelSize` kernel, stride 1 and `padding` zeros on every
    /// side: `[inC, H, W]` → `[outC, H + 2p − k + 1, W + 2p − k + 1]`.
    case conv2d(inputChannels: Int, outputChannels: Int, kernelSize: Int = 3, padding: Int = 1)
    /// `max(x, 0)`, any shape.
    case relu
    /// Max pooling with a 2×2 window and stride 2 (odd extents round down, as ONNX's default):
    /// `[C, H, W]` → `[C, H / 2, W / 2]`.
    case maxPool2d
    /// Collapses every axis into one: `[d1, d2, …]` → `[d1 · d2 · …]` (ONNX `Flatten`, axis 1).
    case flatten

    /// A short description such as `dense(784→256)`.
    public var description: String {
        switch self {
        case .dense(let inputs, let outputs): "dense(\(inputs)→\(outputs))"
        case .conv2d(let inC, let outC, let k, let p): "conv2d(\(inC)→\(outC), \(k)x\(k), pad \(p))"
        case .relu: "relu"
        case .maxPool2d: "maxPool2d(2)"
        case .flatten: "flatten"
        }
    }

    /// The per-sample output shape for a per-sample `input` shape, or `nil` if the layer cannot take it.
    public func outputShape(for input: [Int]) -> [Int]? {
        guard input.allSatisfy({ $0 > 0 }) else { return nil }
        switch self {
        case .dense(let inputs, let outputs):
            guard inputs > 0, outputs > 0, input == [inputs] else { return nil }
            return [outputs]
        case .conv2d(let inC, let outC, let k, let p):
            guard inC > 0, outC > 0, k > 0, p >= 0, input.count == 3, input[0] == inC else { return nil }
            let height = input[1] + 2 * p - k + 1, width = input[2] + 2 * p - k + 1
            guard height > 0, width > 0 else { return nil }
            return [outC, height, width]
        case .relu:
            return input
        case .maxPool2d:
            guard input.count == 3, input[1] >= 2, input[2] >= 2 else { return nil }
            return [input[0], input[1] / 2, input[2] / 2]
        case .flatten:
            return [input.reduce(1, *)]
        }
    }

    /// Shapes of the layer's parameters in order (weight, bias); empty for parameter-free layers.
    public var parameterShapes: [[Int]] {
        switch self {
        case .dense(let inputs, let outputs): [[outputs, inputs], [outputs]]
        case .conv2d(let inC, let outC, let k, _): [[outC, inC, k, k], [outC]]
        case .relu, .maxPool2d, .flatten: []
        }
    }

    /// Inputs feeding each output unit: PyTorch's `fan_in`, which sets the initialization range.
    var fanIn: Int {
        switch self {
        case .dense(let inputs, _): inputs
        case .conv2d(let inC, _, let k, _): inC * k * k
        case .relu, .maxPool2d, .flatten: 0
        }
    }

    /// The convolution geometry for one `[C, H, W]` input; only meaningful for `conv2d`.
    func convolutionGeometry(input: [Int]) -> ConvolutionGeometry {
        guard case .conv2d(_, _, let k, let p) = self, input.count == 3 else {
            return ConvolutionGeometry(channels: 0, inputHeight: 0, inputWidth: 0, kernelHeight: 0, kernelWidth: 0)
        }
        return ConvolutionGeometry(
            channels: input[0], inputHeight: input[1], inputWidth: input[2], kernelHeight: k, kernelWidth: k,
            padTop: p, padLeft: p, padBottom: p, padRight: p)
    }
}

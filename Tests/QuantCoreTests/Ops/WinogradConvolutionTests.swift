import Testing

@testable import QuantCore

/// Wide 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (`WinogradConvolution`, CKernels
/// `ck_winograd_conv`): `Ops.convolution` takes it where it applies, and it agrees with the
/// direct-loop reference within rounding, whatever the padding, plane size, batch, bias, fused
/// residual and clamp.
@Suite struct WinogradConvolutionTests {
    /// (label, batch, input channels, output channels, height, width, pads top/left/bottom/right):
    /// ResNet's "same" layers, odd planes (a last tile half outside), asymmetric and no padding,
    /// a plane wider than 32 tiles (whole and partial 16-tile vectors), padding wider than the
    /// kernel (tiles wholly in the padding), a 1×1 plane, and batches whose 64-tile chunks
    /// straddle images.
    static let cases: [(String, Int, Int, Int, Int, Int, [Int])] = [
        ("56x56 same, batch 2", 2, 64, 64, 56, 56, [1, 1, 1, 1]),
        ("7x7 same (odd), 96 outputs", 3, 64, 96, 7, 7, [1, 1, 1, 1]),
        ("13x9 asymmetric pads", 2, 64, 32, 13, 9, [0, 2, 3, 0]),
        ("no padding 10x12", 1, 72, 40, 10, 12, [0, 0, 0, 0]),
        ("71 wide, 5 rows", 2, 64, 33, 5, 71, [1, 1, 1, 1]),
        ("pads of 3, 4x4", 2, 64, 32, 4, 4, [3, 3, 3, 3]),
        ("1x1 plane", 5, 64, 32, 1, 1, [1, 1, 1, 1]),
    ]

    static func attributes(_ pads: [Int]) -> ConvAttributes { ConvAttributes(pads: pads) }

    /// |fast − reference| ≤ 2e-6 · (1 + |b| + Σ|x·w|) per output: the transforms add up to 4
    /// inputs and 4 products before the GEMM's sum, a few roundings of the largest terms
    /// (measured worst here: about 3e-7 of that scale).
    static func expectWithinRounding(
        _ fast: Tensor, _ x: Tensor, _ w: Tensor, _ b: Tensor?, residual: Tensor? = nil, _ pads: [Int],
        label: String
    ) throws {
        let reference = try Ops.convolutionReference(x, weight: w, bias: b, attributes: attributes(pads))
        func absolute(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, storage: t.storage.map(abs)) }
        let magnitude = try Ops.convolutionReference(
            absolute(x), weight: absolute(w), bias: b.map(absolute), attributes: attributes(pads))
        #expect(fast.shape == reference.shape, "\(label)")
        var worst: Float = 0
        for index in 0..<fast.count {
            let expected = reference.storage[index] + (residual?.storage[index] ?? 0)
            let scale = 1 + magnitude.storage[index] + abs(residual?.storage[index] ?? 0)
            worst = max(worst, abs(fast.storage[index] - expected) / scale)
        }
        #expect(worst <= 2e-6, "\(label): worst relative difference \(worst)")
    }

    @Test(arguments: 0..<cases.count)
    func matchesTheReference(index: Int) throws {
        let (label, n, c, m, h, width, pads) = Self.cases[index]
        let x = OpsTestHelpers.random([n, c, h, width], seed: UInt64(10 + index))
        let w = OpsTestHelpers.random([m, c, 3, 3], seed: UInt64(20 + index))
        let b = OpsTestHelpers.random([m], seed: UInt64(30 + index))
        let fast = try Ops.convolution(x, weight: w, bias: b, attributes: Self.attributes(pads))
        try Self.expectWithinRounding(fast, x, w, b, pads, label: label)
    }

    /// The path is the one taken: on AVX-512 `Ops.convolution` gives exactly the kernel's own
    /// output; elsewhere the kernel declines and writes nothing.
    @Test func opsConvolutionTakesThePath() throws {
        let x = OpsTestHelpers.random([2, 64, 14, 14], seed: 1), w = OpsTestHelpers.random([32, 64, 3, 3], seed: 2)
        let b = OpsTestHelpers.random([32], seed: 3)
        let geometry = ConvolutionGeometry(
            channels: 64, inputHeight: 14, inputWidth: 14, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
            padBottom: 1, padRight: 1)
        let transformed = w.storage.withUnsafeBufferPointer {
            WinogradConvolution.transformedWeights($0.baseAddress!, outputChannels: 32, channels: 64)
        }
        var direct = [Float](repeating: 7, count: 2 * 32 * 14 * 14)
        let ran = direct.withUnsafeMutableBufferPointer { out in
            WinogradConvolution.convolve(
                images: x.storage, batch: 2, geometry: geometry, outputChannels: 32, transformed: transformed,
                rowStart: b.storage, clamp: nil, addend: nil, output: out.baseAddress!)
        }
        let fast = try Ops.convolution(x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]))
        guard GEMM.kernelVariant == "avx512" else {
            #expect(!ran && direct.allSatisfy { $0 == 7 })
            return
        }
        #expect(ran)
        #expect(WinogradConvolution.applies(geometry: geometry, outputChannels: 32, group: 1))
        #expect(fast.storage.map(\.bitPattern) == direct.map(\.bitPattern))
    }

    /// Narrow, strided, dilated, grouped or non-3×3 convolutions keep im2col + GEMM.
    @Test func appliesOnlyWhereItPays() {
        func geometry(channels: Int = 64, kernel: Int = 3, stride: Int = 1, dilation: Int = 1) -> ConvolutionGeometry {
            ConvolutionGeometry(
                channels: channels, inputHeight: 28, inputWidth: 28, kernelHeight: kernel, kernelWidth: kernel,
                strideHeight: stride, strideWidth: stride, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1,
                dilationHeight: dilation, dilationWidth: dilation)
        }
        let isAVX512 = GEMM.kernelVariant == "avx512"
        #expect(WinogradConvolution.applies(geometry: geometry(), outputChannels: 32, group: 1) == isAVX512)
        #expect(!WinogradConvolution.applies(geometry: geometry(channels: 32), outputChannels: 64, group: 1))
        #expect(!WinogradConvolution.applies(geometry: geometry(), outputChannels: 16, group: 1))
        #expect(!WinogradConvolution.applies(geometry: geometry(stride: 2), outputChannels: 64, group: 1))
        #expect(!WinogradConvolution.applies(geometry: geometry(dilation: 2), outputChannels: 64, group: 1))
        #expect(!WinogradConvolution.applies(geometry: geometry(kernel: 5), outputChannels: 64, group: 1))
        #expect(!WinogradConvolution.applies(geometry: geometry(), outputChannels: 64, group: 2))
    }

    /// A fused residual and ReLU6 (a clamp) are applied as the outputs are written: the sum, then
    /// `+ residual`, then the clamp — the same as convolving, adding and clamping apart.
    @Test func fusedResidualAndClampMatchTheSeparateOperations() throws {
        let x = OpsTestHelpers.random([2, 64, 9, 11], seed: 4), w = OpsTestHelpers.random([40, 64, 3, 3], seed: 5)
        let b = OpsTestHelpers.random([40], seed: 6), residual = OpsTestHelpers.random([2, 40, 9, 11], seed: 7)
        let clamp = OutputClamp(low: 0, high: 6)
        let fused = try Ops.convolution(
            x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]), activation: clamp, residual: residual)
        let plain = try Ops.convolution(x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]))
        let separate = zip(plain.storage, residual.storage).map { min(max($0 + $1, 0), 6) }
        #expect(fused.storage.map(\.bitPattern) == separate.map(\.bitPattern))
        let unclamped = try Ops.convolution(
            x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]), residual: residual)
        try Self.expectWithinRounding(unclamped, x, w, b, residual: residual, [1, 1, 1, 1], label: "residual")
    }

    /// A NaN in the input makes NaN exactly the outputs whose window holds it, as the direct
    /// sum does (each corner, edge and inside position of a tile tried).
    @Test func nanReachesTheSameOutputsAsTheDirectSum() throws {
        var x = OpsTestHelpers.random([1, 64, 8, 9], seed: 11)
        for (channel, y, column) in [(0, 0, 0), (3, 1, 1), (7, 2, 5), (9, 7, 8), (20, 4, 3), (63, 6, 0)] {
            x.storage[(channel * 8 + y) * 9 + column] = .nan
        }
        let w = OpsTestHelpers.random([32, 64, 3, 3], seed: 12), b = OpsTestHelpers.random([32], seed: 13)
        let fast = try Ops.convolution(x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]))
        let reference = try Ops.convolutionReference(x, weight: w, bias: b, attributes: Self.attributes([1, 1, 1, 1]))
        #expect(fast.storage.map(\.isNaN) == reference.storage.map(\.isNaN))
        #expect(reference.storage.contains { $0.isNaN } && reference.storage.contains { !$0.isNaN })
    }

    /// Constant weights are transformed once per weight buffer and again when they change.
    @Test func transformedWeightsAreCachedPerBuffer() throws {
        let cache = PackedWeightCache()
        var w = OpsTestHelpers.random([32, 64, 3, 3], seed: 8)
        let first = try #require(cache.winogradWeights("w", w))
        #expect(first.count == 16 * 32 * 64)
        #expect(cache.byteCount == first.count * 4)
        let again = try #require(cache.winogradWeights("w", w))
        #expect(again.withUnsafeBufferPointer { $0.baseAddress } == first.withUnsafeBufferPointer { $0.baseAddress })
        w.storage[0] += 1
        let changed = try #require(cache.winogradWeights("w", w))
        #expect(changed != first)
        #expect(cache.winogradWeights("k", OpsTestHelpers.random([32, 64, 5, 5], seed: 9)) == nil)
        cache.removeAll()
        #expect(cache.byteCount == 0)
    }
}

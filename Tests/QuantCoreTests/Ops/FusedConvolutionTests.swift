import Testing

@testable import QuantCore

/// The convolution GEMM with the unfolding fused into the packing (`Im2Col.multiplyUnfolded`)
/// gives bit for bit what `unfoldFast` then `GEMM.multiply` give, wherever it applies.
@Suite struct FusedConvolutionTests {
    /// Geometries the fused path takes: stride 1 and an output row as wide as the input row
    /// (padding and dilation that keep the width), tap offsets reaching past every border,
    /// several K slices (C·kH·kW > 256) and several column blocks (outH·outW > 2048).
    static let geometries: [(String, ConvolutionGeometry, Int)] = [
        (
            "3x3 pad 1, 1 channel (the demo's conv1)",
            .init(
                channels: 1, inputHeight: 28, inputWidth: 28, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 8
        ),
        (
            "3x3 pad 1, 8 channels (conv2)",
            .init(
                channels: 8, inputHeight: 14, inputWidth: 14, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 16
        ),
        (
            "5x5 pad 2, 13 channels, K > 256",
            .init(
                channels: 13, inputHeight: 9, inputWidth: 11, kernelHeight: 5, kernelWidth: 5, padTop: 2, padLeft: 2,
                padBottom: 2, padRight: 2), 13
        ),
        (
            "3x3 dilation 2 pad 2",
            .init(
                channels: 3, inputHeight: 10, inputWidth: 7, kernelHeight: 3, kernelWidth: 3, padTop: 2, padLeft: 2,
                padBottom: 2, padRight: 2, dilationHeight: 2, dilationWidth: 2), 5
        ),
        (
            "1x3 pad left 2 right 0, no vertical pad",
            .init(channels: 2, inputHeight: 6, inputWidth: 33, kernelHeight: 2, kernelWidth: 3, padLeft: 2), 1
        ),
        (
            "3x3 asymmetric pad, taller output",
            .init(
                channels: 2, inputHeight: 5, inputWidth: 6, kernelHeight: 3, kernelWidth: 3, padTop: 2, padLeft: 1,
                padBottom: 3, padRight: 1), 24
        ),
        (
            "3x3 pad 1, 50x50: two column blocks",
            .init(
                channels: 2, inputHeight: 50, inputWidth: 50, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 12
        ),
    ]

    @Test(arguments: 0..<geometries.count)
    func fusedEqualsUnfoldThenMultiply(index: Int) throws {
        let (label, geometry, m) = Self.geometries[index]
        #expect(geometry.outputWidth == geometry.inputWidth, "\(label)")
        var generator = SplitMix64(seed: UInt64(index + 1))
        let image = (0..<(geometry.channels * geometry.inputHeight * geometry.inputWidth)).map { _ in
            generator.nextFloat(in: -1...1)
        }
        let weights = (0..<(m * geometry.columnRows)).map { _ in generator.nextFloat(in: -1...1) }
        let start = (0..<(m * geometry.columnCount)).map { _ in generator.nextFloat(in: -1...1) }
        let masks = try #require(Im2Col.fusedMasks(geometry: geometry), "\(label)")

        var specified = [Float](repeating: 0, count: geometry.columnRows * geometry.columnCount)
        image.withUnsafeBufferPointer { x in
            specified.withUnsafeMutableBufferPointer {
                Im2Col.unfold(x.baseAddress!, geometry: geometry, into: $0.baseAddress!)
            }
        }
        defer { GEMM.forceKernelVariant(nil) }
        for variant in GEMM.KernelVariant.allCases {
            let name = GEMM.forceKernelVariant(variant)
            guard name == Self.names[variant] else { continue }  // not on this CPU
            var unfolded = start
            var columns = [Float](repeating: 0, count: specified.count)
            image.withUnsafeBufferPointer { x in
                columns.withUnsafeMutableBufferPointer {
                    Im2Col.unfoldFast(x.baseAddress!, geometry: geometry, into: $0.baseAddress!)
                }
            }
            #expect(columns == specified, "\(label)")
            weights.withUnsafeBufferPointer { w in
                columns.withUnsafeBufferPointer { b in
                    unfolded.withUnsafeMutableBufferPointer { c in
                        GEMM.multiply(
                            m: m, n: geometry.columnCount, k: geometry.columnRows, a: w.baseAddress!,
                            b: b.baseAddress!, beta: 1, c: c.baseAddress!)
                    }
                }
            }
            var fused = start
            let ran = weights.withUnsafeBufferPointer { w in
                image.withUnsafeBufferPointer { x in
                    fused.withUnsafeMutableBufferPointer { c in
                        Im2Col.multiplyUnfolded(
                            m: m, weights: w.baseAddress!, image: x.baseAddress!, geometry: geometry, masks: masks,
                            c: c.baseAddress!)
                    }
                }
            }
            if variant == .portable {
                #expect(!ran && fused == start, "\(label): the portable variant does not fuse")
            } else {
                #expect(ran, "\(label), \(name)")
                #expect(fused.map(\.bitPattern) == unfolded.map(\.bitPattern), "\(label), \(name)")
            }
        }
    }

    static let names: [GEMM.KernelVariant: String] = [.portable: "portable", .avx2: "avx2-fma", .avx512: "avx512"]

    /// Under the portable variant the fused path declines and leaves C alone, so the caller
    /// unfolds as before.
    @Test func thePortableVariantDeclines() throws {
        let geometry = Self.geometries[0].1
        let masks = try #require(Im2Col.fusedMasks(geometry: geometry))
        let image = [Float](repeating: 1, count: 28 * 28), weights = [Float](repeating: 1, count: 8 * 9)
        var c = [Float](repeating: 0, count: 8 * 784)
        GEMM.forceKernelVariant(.portable)
        defer { GEMM.forceKernelVariant(nil) }
        let ran = Im2Col.multiplyUnfolded(
            m: 8, weights: weights, image: image, geometry: geometry, masks: masks, c: &c)
        #expect(!ran && c.allSatisfy { $0 == 0 })
    }

    @Test func geometriesItCannotTakeHaveNoMasks() {
        let strided = ConvolutionGeometry(
            channels: 1, inputHeight: 8, inputWidth: 8, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
            strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)
        let narrower = ConvolutionGeometry(channels: 1, inputHeight: 8, inputWidth: 8, kernelHeight: 3, kernelWidth: 3)
        #expect(Im2Col.fusedMasks(geometry: strided) == nil)
        #expect(Im2Col.fusedMasks(geometry: narrower) == nil)
    }

    /// The masks of the demo's conv1 (28×28, 3×3, pad 1) by hand: the centre tap reads inside
    /// everywhere, the top-left tap nowhere in the first output row or column.
    @Test func masksMatchTheGeometry() throws {
        let geometry = Self.geometries[0].1
        let masks = try #require(Im2Col.fusedMasks(geometry: geometry))
        #expect(masks.count == 25 * 9)  // ⌈784 / 32⌉ panels × 9 taps
        #expect(masks[0 * 9 + 4] == UInt32.max)  // centre tap, positions 0..<32
        // Top-left tap (i = 0, j = 0), positions 0..<32: row 0 (0..<28) reads above the image;
        // positions 28..<32 are row 1, columns 0...3: column 0 reads left of the image.
        #expect(masks[0 * 9 + 0] == 0b1110 << 28)
        // The last panel holds positions 768..<784 only.
        #expect(masks[24 * 9 + 4] == 0xFFFF)
    }
}

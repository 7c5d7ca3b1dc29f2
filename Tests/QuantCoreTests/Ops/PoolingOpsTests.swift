import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct PoolingOpsTests {
    typealias H = OpsTestHelpers

    @Test func maxPool2x2Stride2() throws {
        // 4×4 = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
        // 2×2 windows, stride 2: max of each quadrant = [[6, 8], [14, 16]]
        let x = H.tensor([1, 1, 4, 4], (1...16).map(Float.init))
        let y = try Ops.pool(.max, x, attributes: PoolAttributes(kernelShape: [2, 2], strides: [2, 2]))
        #expect(y == H.tensor([1, 1, 2, 2], [6, 8, 14, 16]))
    }

    @Test func averagePool2x2Stride2() throws {
        // Quadrant means: (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5, (9+10+13+14)/4 = 11.5, 13.5
        let x = H.tensor([1, 1, 4, 4], (1...16).map(Float.init))
        let y = try Ops.pool(.average, x, attributes: PoolAttributes(kernelShape: [2, 2], strides: [2, 2]))
        #expect(y == H.tensor([1, 1, 2, 2], [3.5, 5.5, 11.5, 13.5]))
    }

    @Test func ceilModeAddsThePartialWindow() throws {
        // X = [1, 2, 3, 4, 5], k 2, s 2. floor: ⌊(5−2)/2⌋+1 = 2 windows [1,2] [3,4]
        // ceil: ⌈(5−2)/2⌉+1 = 3, the third window [5, (beyond)] starts inside the input.
        let x = H.tensor([1, 1, 5], [1, 2, 3, 4, 5])
        let floorAttributes = PoolAttributes(kernelShape: [2], strides: [2])
        let ceilAttributes = PoolAttributes(kernelShape: [2], strides: [2], ceilMode: true)
        #expect(try Ops.pool(.max, x, attributes: floorAttributes).storage == [2, 4])
        #expect(try Ops.pool(.max, x, attributes: ceilAttributes).storage == [2, 4, 5])
        // Average: the partial window holds one input element and no padding, so its
        // divisor is 1 with or without count_include_pad: [1.5, 3.5, 5/1]
        #expect(try Ops.pool(.average, x, attributes: ceilAttributes).storage == [1.5, 3.5, 5])
        var including = ceilAttributes
        including.countIncludePad = true
        #expect(try Ops.pool(.average, x, attributes: including).storage == [1.5, 3.5, 5])
    }

    @Test func ceilModeDropsAWindowStartingInThePadding() throws {
        // X = [1, 2, 3, 4], k 2, s 3, pads [1, 1]. ceil: ⌈(4+2−2)/3⌉+1 = 3 windows starting
        // at −1, 2, 5; the one at 5 lies wholly in the right padding (5 ≥ in + padBegin = 4+1),
        // so it is dropped: 2 windows, [pad, 1] and [3, 4].
        let x = H.tensor([1, 1, 4], [1, 2, 3, 4])
        var attributes = PoolAttributes(kernelShape: [2], strides: [3], pads: [1, 1], ceilMode: true)
        #expect(try Ops.pool(.max, x, attributes: attributes).storage == [1, 4])
        // Average excluding padding: [1/1, (3+4)/2] = [1, 3.5]; including: [(0+1)/2, 3.5] = [0.5, 3.5]
        #expect(try Ops.pool(.average, x, attributes: attributes).storage == [1, 3.5])
        attributes.countIncludePad = true
        #expect(try Ops.pool(.average, x, attributes: attributes).storage == [0.5, 3.5])
    }

    @Test func countIncludePadHandComputed() throws {
        // X = [[1, 2], [3, 4]], 2×2 windows, stride 1, pads 1 all round → 3×3 outputs.
        // Window (oy, ox) covers rows oy−1…oy, cols ox−1…ox. Sums of the inside elements:
        //   [[1, 1+2, 2], [1+3, 1+2+3+4, 2+4], [3, 3+4, 4]] = [[1, 3, 2], [4, 10, 6], [3, 7, 4]]
        // Inside counts [[1, 2, 1], [2, 4, 2], [1, 2, 1]]; with padding every window counts 4.
        let x = H.tensor([1, 1, 2, 2], [1, 2, 3, 4])
        var attributes = PoolAttributes(kernelShape: [2, 2], pads: [1, 1, 1, 1])
        let excluding = try Ops.pool(.average, x, attributes: attributes)
        #expect(excluding == H.tensor([1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]))
        attributes.countIncludePad = true
        let including = try Ops.pool(.average, x, attributes: attributes)
        #expect(including == H.tensor([1, 1, 3, 3], [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]))
        // MaxPool ignores padding: [[1, 2, 2], [3, 4, 4], [3, 4, 4]]
        #expect(try Ops.pool(.max, x, attributes: attributes).storage == [1, 2, 2, 3, 4, 4, 3, 4, 4])
    }

    @Test func maxPoolDilation() throws {
        // X = [1, 5, 2, 4, 3], k 2, dilation 2: windows {x0, x2}, {x1, x3}, {x2, x4} = [2, 5, 3]
        let y = try Ops.pool(
            .max, H.tensor([1, 1, 5], [1, 5, 2, 4, 3]), attributes: PoolAttributes(kernelShape: [2], dilations: [2]))
        #expect(y.storage == [2, 5, 3])
    }

    @Test func autoPadSame() throws {
        // X = [1, 2, 3, 4, 5], k 2, s 2: out = ⌈5/2⌉ = 3, total pad = 2·2 + 2 − 5 = 1.
        // SAME_UPPER (pad at end): [1,2] [3,4] [5,pad] → [2, 4, 5]
        // SAME_LOWER (pad at start): [pad,1] [2,3] [4,5] → [1, 3, 5]
        let x = H.tensor([1, 1, 5], [1, 2, 3, 4, 5])
        #expect(
            try Ops.pool(.max, x, attributes: PoolAttributes(kernelShape: [2], strides: [2], autoPad: .sameUpper))
                .storage == [2, 4, 5])
        #expect(
            try Ops.pool(.max, x, attributes: PoolAttributes(kernelShape: [2], strides: [2], autoPad: .sameLower))
                .storage == [1, 3, 5])
        // VALID: ⌊(5−2)/2⌋+1 = 2 → [2, 4]
        #expect(
            try Ops.pool(.max, x, attributes: PoolAttributes(kernelShape: [2], strides: [2], autoPad: .valid)).storage
                == [2, 4])
    }

    @Test func batchAndChannelsArePooledSeparately() throws {
        // [N=2, C=2, 2]: each plane pooled with k 2 → its max.
        let x = H.tensor([2, 2, 2], [1, 2, 4, 3, -1, -2, 0, 9])
        #expect(
            try Ops.pool(.max, x, attributes: PoolAttributes(kernelShape: [2])) == H.tensor([2, 2, 1], [2, 4, -1, 9]))
    }

    @Test func globalPools() throws {
        // [1, 2, 2, 2]: channel 0 = [1, 2, 3, 4] → mean 2.5, max 4; channel 1 = −channel 0 → −2.5, −1
        let x = H.tensor([1, 2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4])
        #expect(try Ops.globalPool(.average, x) == H.tensor([1, 2, 1, 1], [2.5, -2.5]))
        #expect(try Ops.globalPool(.max, x) == H.tensor([1, 2, 1, 1], [4, -1]))
        #expect(H.mismatchNode(H.graphError { _ = try Ops.globalPool(.max, H.tensor([2], [1, 2]), node: "g") }) == "g")
    }

    @Test func windowLargerThanInputIsAShapeMismatch() {
        let error = H.graphError {
            _ = try Ops.pool(
                .max, H.tensor([1, 1, 2], [1, 2]), attributes: PoolAttributes(kernelShape: [3]), node: "p")
        }
        #expect(H.mismatchNode(error) == "p")
    }

    /// Max pooling (CKernels `ck_max_pool2d`, vectorized over output columns) against the per-tap
    /// loop written out here — taps inside the input in row-major order, `v > best` from −∞ —
    /// bit for bit: random geometries (padding, strides, windows past the end, 1-D), values with
    /// NaN, +0 and −0 (which of two equal zeros wins depends on the order), every kernel variant.
    @Test func maxPoolingIsThePerTapLoop() throws {
        var random = SplitMix64(seed: 41)
        func draw(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
        for trial in 0..<300 {
            let oneDimensional = trial % 10 == 0
            let kernel = [draw(1...4), draw(1...4)].suffix(oneDimensional ? 1 : 2)
            let strides = [draw(1...3), draw(1...3)].suffix(kernel.count)
            let pads = kernel.map { draw(0...($0 - 1)) }
            let extents = [draw(1...30), draw(1...30)].suffix(kernel.count).enumerated().map { index, extent in
                max(extent, kernel[kernel.startIndex + index] - pads[index])
            }
            let shape = [draw(1...2), draw(1...3)] + extents
            let values = (0..<shape.reduce(1, *)).map { _ -> Float in
                switch random.next() % 16 {
                case 0: .nan
                case 1: 0
                case 2: -0.0
                default: Float(Int(random.next() % 201) - 100) * 0.01
                }
            }
            let x = Tensor(shape: shape, storage: values)
            let attributes = PoolAttributes(
                kernelShape: Array(kernel), strides: Array(strides), pads: pads + pads, ceilMode: trial % 3 == 0)
            let window = try SlidingWindow(
                inputExtents: extents, kernel: Array(kernel), strides: Array(strides), pads: pads + pads,
                dilations: [], autoPad: .notSet, ceilMode: attributes.ceilMode, node: "", op: "MaxPool")
            let (height, width) = window.planeAxes
            var expected: [Float] = []
            for plane in 0..<(shape[0] * shape[1]) {
                for oy in 0..<height.output {
                    for ox in 0..<width.output {
                        var best = -Float.infinity
                        for i in 0..<height.kernel {
                            let y = oy * height.stride - height.padBegin + i
                            guard y >= 0, y < height.input else { continue }
                            for j in 0..<width.kernel {
                                let column = ox * width.stride - width.padBegin + j
                                guard column >= 0, column < width.input else { continue }
                                let value = values[(plane * height.input + y) * width.input + column]
                                if value > best { best = value }
                            }
                        }
                        expected.append(best)
                    }
                }
            }
            for variant in GEMM.KernelVariant.allCases {
                GEMM.forceKernelVariant(variant)
                defer { GEMM.forceKernelVariant(nil) }
                let pooled = try Ops.pool(.max, x, attributes: attributes)
                #expect(pooled.storage.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape), \(attributes)")
            }
        }
    }
}

import CKernels

/// A layer's int8 weight rows packed once for the C kernels (`ck_qpack_weights`: int16 pairs and
/// int8 quads, four output channels per panel, one packing per group; and for a convolution of
/// one group without dilation `ck_qpack_direct`, the depth in the direct kernel's order), so no
/// call copies or converts them.
///
/// Derived from `IntegerLinear`'s weights and shape, rebuilt when those change; immutable after
/// `init` and read by any number of threads.
public final class IntegerPackedWeights: @unchecked Sendable, Equatable {
    /// The packed words (`count` of them).
    let words: UnsafeMutablePointer<Int32>
    /// Words in all groups together.
    public let count: Int
    /// Output channels per group and the depth they were packed for.
    let channelsPerGroup: Int, depth: Int
    /// The direct kernel's packing (`ck_qpack_direct`), when the layer is a convolution it runs.
    let direct: UnsafeMutablePointer<Int32>?
    let directCount: Int

    /// Packs `weights` (`[outputChannels, depth]`, row-major) group by group, and for the direct
    /// kernel when `convolution` has one group and no dilation.
    init(weights: [Int8], outputChannels: Int, depth: Int, convolution: IntegerConvolution?) {
        let group = max(convolution?.group ?? 1, 1)
        if let convolution, group == 1, convolution.kernel.count == 2, convolution.dilations.allSatisfy({ $0 == 1 }),
            convolution.kernel.allSatisfy({ $0 > 0 }), depth % (convolution.kernel[0] * convolution.kernel[1]) == 0,
            outputChannels > 0, weights.count >= outputChannels * depth
        {
            let (kh, kw) = (convolution.kernel[0], convolution.kernel[1])
            let channels = depth / (kh * kw)
            directCount = ck_qpack_direct_count(outputChannels, channels, kh, kw)
            let words = UnsafeMutablePointer<Int32>.allocate(capacity: max(directCount, 1))
            words.initialize(repeating: 0, count: max(directCount, 1))
            weights.withUnsafeBufferPointer { ck_qpack_direct(outputChannels, channels, kh, kw, $0.baseAddress, words) }
            direct = words
        } else {
            (direct, directCount) = (nil, 0)
        }
        let perGroup = outputChannels / group
        let groupWords = perGroup > 0 && depth > 0 ? ck_qpack_weights_count(perGroup, depth) : 0
        channelsPerGroup = perGroup
        self.depth = depth
        count = groupWords * group
        words = .allocate(capacity: max(count, 1))
        words.initialize(repeating: 0, count: max(count, 1))
        guard groupWords > 0, weights.count >= outputChannels * depth else { return }
        weights.withUnsafeBufferPointer { rows in
            for g in 0..<group {
                ck_qpack_weights(perGroup, depth, rows.baseAddress! + g * perGroup * depth, words + g * groupWords)
            }
        }
    }

    deinit {
        words.deallocate()
        direct?.deallocate()
    }

    /// Same packed words (packings are derived: equal weights give equal words).
    public static func == (lhs: IntegerPackedWeights, rhs: IntegerPackedWeights) -> Bool {
        lhs === rhs || (lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs.words[$0] == rhs.words[$0] })
    }
}

/// Which kernels an integer model runs.
public enum IntegerKernelVariant: String, Sendable, CaseIterable {
    /// The plain Swift loops (im2col, `ck_qgemm_s16s8_scalar`-style GEMM, `requantize`): the
    /// specification every other variant is tested against.
    case reference
    /// The C kernels with scalar inner loops.
    case scalar
    /// The C kernels with AVX2 (`vpmaddwd`); scalar when the CPU lacks AVX2.
    case avx2
    /// The C kernels with AVX-512 VNNI (`vpdpbusd` on byte codes, `vpdpwssd` on wider ones); AVX2
    /// (or scalar) when the CPU lacks it.
    case vnni
    /// The widest C kernels the CPU has.
    case best

    /// The `ck_qvariant` request.
    var code: Int32 {
        switch self {
        case .reference, .best: 0
        case .scalar: 1
        case .avx2: 2
        case .vnni: 3
        }
    }

    /// What actually runs on this CPU: `reference`, `scalar`, `avx2` or `avx512-vnni`.
    public var resolvedName: String {
        self == .reference ? "reference" : String(cString: ck_qvariant_name(code))
    }
}

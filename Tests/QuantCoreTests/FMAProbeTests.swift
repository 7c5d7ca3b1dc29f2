import CKernels
import Testing

@testable import QuantCore

/// `ck_fma_gigaflops` (quantdash-bench's measured peak): a positive rate at the widths this CPU
/// runs, 0 at a width it has no probe for.
@Suite struct FMAProbeTests {
    @Test func measuresTheWidthsTheGEMMUses() {
        let lanes: Int32 = GEMM.kernelVariant == "avx512" ? 16 : GEMM.kernelVariant == "avx2-fma" ? 8 : 0
        if lanes > 0 {
            let rate = ck_fma_gigaflops(lanes, 200_000)
            // At least a few GFLOP/s (one FMA of 8 lanes per cycle at 1 GHz is 16), at most what
            // 4 FMAs per cycle at 8 GHz could do.
            #expect(rate > 1 && rate < Double(lanes) * 2 * 4 * 8)
        }
        #expect(ck_fma_gigaflops(4, 1000) == 0)
        #expect(ck_fma_gigaflops(32, 1000) == 0)
    }
}

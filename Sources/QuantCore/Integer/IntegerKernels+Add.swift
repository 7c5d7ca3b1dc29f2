import CKernels

/// The requantized Add (`IntegerAdd`): the plain Swift reference and `ck_qadd`, which every
/// variant but `.reference` runs and which gives its bits (`IntegerAddTests`).
extension IntegerKernels {
    /// One output code as onnxruntime's QLinearAdd computes it on x86 (MLAS's AVX2 kernel,
    /// `MlasQLinearAddKernelAvx2Helper`, which it runs on every AVX2 or AVX-512 CPU), on codes in
    /// unsigned form (`IntegerAdd.unsignedOffsets`: a signed code plus 2^(b−1)): the zero points
    /// folded into one constant `f = Float(z_y) − (r_a · Float(z_a) + r_b · Float(z_b))` (each
    /// operation rounded to `Float`), then `v = fma(Float(a), r_a, fma(Float(b), r_b, f))`, rounded
    /// half to even, clamped, and put back in the output's form. Until 2026-12-07 this was
    /// `Float(a − z_a) · r_a + Float(b − z_b) · r_b`, which rounds apart from it where the exact sum
    /// is a tie (torchvision's MobileNetV2: one code in 98 304 at one Add, 6 steps at the logits).
    ///
    /// | s_a  | s_b  | s_y  | a | b  | → y |
    /// |------|------|------|---|----|-----|
    /// | 0.1  | 0.2  | 0.2  | 3 | 4  | 6 (1.5 + 4 = 5.5 to even) |
    /// | 0.1  | 0.1  | 0.1  | 100 | 100 | 127 (saturated) |
    @inline(__always)
    static func requantizedAdd(
        _ a: Int16, _ b: Int16, _ add: IntegerAdd, ratios: (first: Float, second: Float)
    )
        -> Int16
    {
        let (sa, sb, sy) = add.unsignedOffsets
        let inner = add.fixedPart.addingProduct(Float(Int32(b) + sb), ratios.second)  // one rounding, as vfmadd
        let rounded = inner.addingProduct(Float(Int32(a) + sa), ratios.first).rounded(.toNearestOrEven)
        let lowest = Float(add.clamp.lowerBound + sy), highest = Float(add.clamp.upperBound + sy)
        return Int16(Int32(rounded < lowest ? lowest : (rounded > highest ? highest : rounded)) - sy)
    }

    /// The Add of `a` and `b` (of one shape) on `add`'s output grid: `requantizedAdd` per code
    /// (`.reference`) or `ck_qadd`.
    static func add(
        _ add: IntegerAdd, _ a: IntegerTensor, _ b: IntegerTensor, variant: IntegerKernelVariant
    ) throws -> IntegerTensor {
        guard a.shape == b.shape, a.codes.count == b.codes.count else {
            throw IntegerLoweringError("Add of shapes \(a.shape) and \(b.shape): integer Add needs equal shapes")
        }
        let ratios = add.ratios
        guard variant != .reference else {
            let codes = zip(a.codes, b.codes).map { requantizedAdd($0, $1, add, ratios: ratios) }
            return IntegerTensor(shape: a.shape, codes: codes, quantization: add.outputQuantization)
        }
        let offsets = add.unsignedOffsets
        let codes = [Int16](unsafeUninitializedCapacity: a.codes.count) { codes, initialized in
            a.codes.withUnsafeBufferPointer { x in
                b.codes.withUnsafeBufferPointer { y in
                    ck_qadd(
                        x.baseAddress, y.baseAddress, x.count, add.firstQuantization.zeroPoint,
                        add.secondQuantization.zeroPoint, ratios.first, ratios.second,
                        add.outputQuantization.zeroPoint, add.fixedPart, offsets.first, offsets.second,
                        offsets.output, add.clamp.lowerBound, add.clamp.upperBound, codes.baseAddress)
                }
            }
            initialized = codes.count
        }
        return IntegerTensor(shape: a.shape, codes: codes, quantization: add.outputQuantization)
    }
}

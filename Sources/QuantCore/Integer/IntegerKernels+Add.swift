import CKernels

/// The requantized Add (`IntegerAdd`): the plain Swift reference and `ck_qadd`, which every
/// variant but `.reference` runs and which gives its bits (`IntegerAddTests`).
extension IntegerKernels {
    /// One output code: `clamp(roundHalfEven(Float(a − z_a) · r_a + Float(b − z_b) · r_b) + z_y)`,
    /// the products and the sum each rounded to `Float` (onnxruntime's QLinearAdd reference,
    /// `MlasQLinearAddKernelRawHelper`, with round half to even).
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
        let (za, zb, zy) = (
            add.firstQuantization.zeroPoint, add.secondQuantization.zeroPoint, add.outputQuantization.zeroPoint
        )
        let first = Float(Int32(a) - za) * ratios.first
        let second = Float(Int32(b) - zb) * ratios.second
        let rounded = (first + second).rounded(.toNearestOrEven)
        let lowest = Float(add.clamp.lowerBound - zy), highest = Float(add.clamp.upperBound - zy)
        return Int16(Int32(rounded < lowest ? lowest : (rounded > highest ? highest : rounded)) + zy)
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
        let codes = [Int16](unsafeUninitializedCapacity: a.codes.count) { codes, initialized in
            a.codes.withUnsafeBufferPointer { x in
                b.codes.withUnsafeBufferPointer { y in
                    ck_qadd(
                        x.baseAddress, y.baseAddress, x.count, add.firstQuantization.zeroPoint,
                        add.secondQuantization.zeroPoint, ratios.first, ratios.second,
                        add.outputQuantization.zeroPoint, add.clamp.lowerBound, add.clamp.upperBound,
                        codes.baseAddress)
                }
            }
            initialized = codes.count
        }
        return IntegerTensor(shape: a.shape, codes: codes, quantization: add.outputQuantization)
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The vectorized affine loop (CKernels `ck_affine_code`) against the Swift reference, bit for
/// bit: ties, saturation, NaN, zero points.
@Suite struct AffineCodeFastPathTests {
    static let parameterSets: [AffineQuantizer.Parameters] = [
        .init(scale: 0.01, zeroPoint: 0, codeRange: -127...127),
        .init(scale: 0.25, zeroPoint: 0, codeRange: -7...7),
        .init(scale: 0.003, zeroPoint: 131, codeRange: 0...255),
        .init(scale: 1, zeroPoint: -3, codeRange: -8...7),
        .init(scale: 1e-7, zeroPoint: 0, codeRange: -32767...32767),
    ]

    @Test(arguments: parameterSets)
    func matchesReference(_ parameters: AffineQuantizer.Parameters) {
        var generator = SplitMix64(seed: 3)
        var values = (0..<10_007).map { _ in generator.nextFloat(in: -2...2) }
        for index in stride(from: 0, to: values.count, by: 11) {  // exact ties x / scale = k + 0.5
            values[index] = (Float(index % 40) - 20.5) * parameters.scale
        }
        values[1] = .nan
        values[2] = 1e30
        values[3] = -1e30
        values[4] = -0.0
        var fastCodes = [Int32](repeating: 0, count: values.count), referenceCodes = fastCodes
        var fastValues = [Float](repeating: 0, count: values.count), referenceValues = fastValues
        values.withUnsafeBufferPointer { source in
            fastCodes.withUnsafeMutableBufferPointer { codes in
                fastValues.withUnsafeMutableBufferPointer { decoded in
                    AffineQuantizer.code(
                        BlockBuffers(values: source, noise: nil, isPruned: nil, codes: codes, dequantized: decoded),
                        with: parameters)
                }
            }
            referenceCodes.withUnsafeMutableBufferPointer { codes in
                referenceValues.withUnsafeMutableBufferPointer { decoded in
                    AffineQuantizer.referenceCode(
                        BlockBuffers(values: source, noise: nil, isPruned: nil, codes: codes, dequantized: decoded),
                        with: parameters)
                }
            }
        }
        #expect(fastCodes == referenceCodes)
        #expect(fastValues.map(\.bitPattern) == referenceValues.map(\.bitPattern))
    }
}

import Testing
@testable import QuantCore

/// Our encoders against fixtures from the reference implementations (see `OracleFixtures`).
@Suite struct OracleTests {
    @Test func e4m3MatchesMLDtypes() {
        for (bits, code) in OracleFixtures.e4m3 {
            let x = Float(bitPattern: bits)
            #expect(FP8Format.e4m3.encode(x) == code, "x = \(x)")
        }
    }

    @Test func e5m2MatchesMLDtypes() {
        for (bits, code) in OracleFixtures.e5m2 {
            let x = Float(bitPattern: bits)
            #expect(FP8Format.e5m2.encode(x) == code, "x = \(x)")
        }
    }

    @Test func affineMatchesOnnxRuntimeQuantizeLinear() throws {
        #expect(OracleFixtures.quantizeLinear.count >= 100)
        for (xBits, scaleBits, zeroPoint, isSigned, bitWidth, code) in OracleFixtures.quantizeLinear {
            let x = Float(bitPattern: xBits), scale = Float(bitPattern: scaleBits)
            let activation = try ActivationQuantization(
                scale: scale, zeroPoint: zeroPoint, bitWidth: bitWidth, isSigned: isSigned)
            #expect(ActivationQuantizer.quantize(x, with: activation) == code, "x = \(x), scale = \(scale)")
            let weight = AffineQuantizer.Parameters(scale: scale, zeroPoint: zeroPoint, codeRange: activation.codeRange)
            #expect(AffineQuantizer.quantize(x, weight) == code, "x = \(x), scale = \(scale)")
        }
    }
}

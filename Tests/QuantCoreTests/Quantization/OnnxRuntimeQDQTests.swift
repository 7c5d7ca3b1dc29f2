import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The whole affine pipeline — range, scale, zero point, codes, dequantized values — against what
/// onnxruntime computes (`Tests/Fixtures/onnxruntime-qdq.json`, made by `Scripts/make_qdq_fixture.py`:
/// DESIGN.md's scale/zero-point formulas in float32, then ORT's QuantizeLinear → DequantizeLinear,
/// opset 21, int4/uint4, int8/uint8, int16/uint16, per tensor and per axis 0).
@Suite struct OnnxRuntimeQDQTests {
    struct Fixture: Decodable {
        var onnxruntime: String
        var cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var scheme: String
        var bits: Int
        var granularity: String
        var shape: [Int]
        var input: [Float]
        var scales: [Float]
        var zeroPoints: [Int32]
        var codes: [Int32]
        var dequantized: [Float]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/onnxruntime-qdq.json")
        guard let data = try? Data(contentsOf: url), let fixture = try? JSONDecoder().decode(Fixture.self, from: data)
        else { return [] }
        return fixture.cases
    }()

    @Test func fixtureIsPresent() {
        // 7 vectors × 3 schemes × 3 widths, per tensor, plus per channel for the 4×16 matrix.
        #expect(Self.cases.count == 72)
    }

    @Test(arguments: cases)
    func matchesOnnxRuntime(_ testCase: Case) throws {
        let scheme = try #require(Scheme(rawValue: testCase.scheme))
        let settings = LayerSettings(
            bitWidth: testCase.bits, scheme: scheme, granularity: testCase.granularity == "channel" ? .channel : .tensor
        )
        let weights = Tensor(shape: testCase.shape, storage: testCase.input)
        let quantized = try WeightQuantizer.quantize(weights, outputChannelAxis: 0, settings: settings)
        #expect(quantized.scales == testCase.scales, "scales")
        if scheme == .asymmetric {
            #expect(quantized.zeroPoints == testCase.zeroPoints, "zero points")
        } else {
            #expect(quantized.zeroPoints.allSatisfy { $0 == 0 })
        }
        #expect(quantized.codes == testCase.codes, "codes")
        // Bit-exact: the same float32 arithmetic as onnxruntime.
        #expect(quantized.dequantized.map(\.bitPattern) == testCase.dequantized.map(\.bitPattern), "dequantized")
    }
}

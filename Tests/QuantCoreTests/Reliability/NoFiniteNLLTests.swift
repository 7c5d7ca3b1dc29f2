import Foundation
import Testing

@testable import QuantCore

/// Issue 16.4: when no sample's output is finite there is no mean NLL; results carrying it stay
/// valid JSON and read back as "none".
@Suite struct NoFiniteNLLTests {
    @Test func resultsWithoutAFiniteNLLLeaveItOutAndReadBack() throws {
        let results = PlanResults(
            top1: 0.1, top5: 0.5, meanNLL: .nan, agreement: nil, count: 30, isExact: true, sizeBytes: 100,
            floatBytes: 400, compressionRatio: 4)
        let data = try JSONEncoder().encode(results)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["nll"] == nil)
        #expect(object["top1"] as? Double == 0.1)
        let decoded = try JSONDecoder().decode(PlanResults.self, from: data)
        #expect(decoded.meanNLL.isNaN)
        var finite = results
        finite.meanNLL = 0.25
        let again = try JSONDecoder().decode(PlanResults.self, from: try JSONEncoder().encode(finite))
        #expect(again.meanNLL == 0.25)
    }
}

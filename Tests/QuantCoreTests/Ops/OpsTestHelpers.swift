import QuantTestSupport
import Testing

@testable import QuantCore

/// Small builders shared by the op tests.
enum OpsTestHelpers {
    /// A tensor from a shape and row-major values.
    static func tensor(_ shape: [Int], _ values: [Float]) -> Tensor {
        Tensor(shape: shape, storage: values)
    }

    /// A tensor of uniform values in −1…1 from a fixed seed.
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor(
            shape: shape, storage: (0..<Tensor.elementCount(of: shape)).map { _ in generator.nextFloat(in: -1...1) })
    }

    /// Checks shape equality and element-wise closeness, reporting the first mismatch.
    static func expectClose(
        _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-5,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
        let mismatch = TestSupport.firstMismatch(actual.storage, expected.storage, rtol: rtol, atol: atol)
        #expect(mismatch == nil, "\(mismatch ?? "")", sourceLocation: sourceLocation)
    }

    /// The error `body` throws, if it is a `GraphError`.
    static func graphError(_ body: () throws -> Void) -> GraphError? {
        do {
            try body()
            return nil
        } catch let error as GraphError {
            return error
        } catch {
            return nil
        }
    }

    /// The node named in a `shapeMismatch`, or `nil` for any other error.
    static func mismatchNode(_ error: GraphError?) -> String? {
        if case .shapeMismatch(let node, _, _) = error { return node }
        return nil
    }
}

import Foundation
import QuantCore

@main struct Baseline {
    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }
    static func main() throws {
        for (m, n, k, tb) in [(1000, 256, 784, true), (1000, 128, 256, true), (16, 196, 72, false), (8, 784, 9, false), (1000, 64, 784, true)] {
            let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
            var c = [Float](repeating: 0, count: m * n)
            let t = median(30) {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, transposeB: tb, c: pc.baseAddress!)
                }}}
            }
            print("gemm \(m)x\(n)x\(k) ms \(t) GFLOPS \(2.0 * Double(m * n * k) / t / 1e6)")
        }
        let data = try DemoData.heldOutSet()
        for model in BundledModel.allCases {
            let graph = try ONNXModel.load(contentsOf: model.url)
            let bench = try Workbench(graph: graph, heldOut: data, calibration: nil)
            let whole = bench.heldOut.subset(0..<1000).images
            let t = try median(20) { _ = try Evaluator(batchSize: 250).evaluate(bench.heldOut) { try bench.logits(for: $0) } }
            let t2 = try median(20) { _ = try bench.logits(for: whole) }
            print(model.rawValue, "eval median ms", t, "one batch of 1000 ms", t2)
        }
    }
}

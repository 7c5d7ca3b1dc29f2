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
        let data = try DemoData.heldOutSet()
        for model in BundledModel.allCases {
            let graph = try ONNXModel.load(contentsOf: model.url)
            let bench = try Workbench(graph: graph, heldOut: data, calibration: nil)
            for threads in [1, 2] {
                bench.threadCount = threads
                let t = try median(20) { bench.clearCaches(); _ = try bench.evaluate(bench.apply(QuantPlan()), sampleSize: 999) }
                print(model.rawValue, "threads", threads, "full pass ms", t)
            }
            _ = try bench.floatReport()
            for layer in bench.layers {
                var bits = 2
                let t = try median(21) {
                    bits = bits == 8 ? 2 : bits + 1
                    var plan = QuantPlan()
                    plan.layers[layer.name] = LayerSettings(bitWidth: bits)
                    _ = try bench.evaluate(bench.apply(plan))
                }
                print(model.rawValue, layer.name, "per-change ms", t)
            }
        }
    }
}

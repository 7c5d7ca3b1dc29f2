import Foundation
import CFuzzDriver
import QuantCore

/// libFuzzer entry: ONNX model bytes → protobuf decoding → graph conversion and validation →
/// executor preparation → re-encoding. Any thrown error is a correct rejection; a trap,
/// sanitizer report, hang or runaway allocation is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let graph = try? ONNXModel.decode(bytes, source: "fuzz.onnx") else { return 0 }
    _ = try? GraphExecutor(graph: graph)
    _ = try? ONNXModel.encode(graph)
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzONNX_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

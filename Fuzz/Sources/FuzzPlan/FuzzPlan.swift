import Foundation
import CFuzzDriver
import QuantCore

/// libFuzzer entry: plan JSON bytes → `QuantPlan` decoding and validation → re-encoding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    do {
        let plan = try QuantPlan.decoded(from: bytes, file: "fuzz.json")
        _ = try? plan.encoded()
    } catch {
        _ = "\(error)"
    }
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzPlan_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

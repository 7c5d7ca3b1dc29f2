import Foundation
import CFuzzDriver
import QuantCore

/// libFuzzer entry: `.npy` bytes → header parsing and validation → value conversion.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let array = try? NumPyArray.parse(bytes, path: "fuzz.npy") else { return 0 }
    _ = array.floatValues()
    _ = array.integerValues()
    _ = array.rowCount
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzNpy_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

import Foundation
import CFuzzDriver
import QuantCore

/// libFuzzer entry: IDX bytes, plain or gzip-compressed → header validation → value conversion.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    guard let file = try? IDXFile.decode(bytes, path: "fuzz-ubyte") else { return 0 }
    _ = file.floatValues()
    _ = file.integerValues()
    _ = file.tensor(dividedBy: 255)
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzIDX_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

import Foundation
import CFuzzDriver
import QuantCore

/// libFuzzer entry: CSV text → `CSVDataset` parsing, with the label in the first, last or a
/// numbered column chosen by the first byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let column: CSVLabelColumn = [.first, .last, .index(Int(data[0] % 8))][Int(data[0] / 8) % 3]
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    _ = try? CSVDataset.parse(text, path: "fuzz.csv", labelColumn: column)
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzCSV_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

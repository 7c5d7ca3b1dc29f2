import Foundation
import CFuzzDriver
import QuantCore

/// The file each input is written to: `NumPyArchive` reads archives from files, as the app does
/// (ZIPFoundation's in-memory archives are a different code path, not used by quantdash). It is
/// removed as soon as the archive is open (the open file stays readable), so no run leaves it
/// behind in /tmp.
let archiveURL = FileManager.default.temporaryDirectory
    .appendingPathComponent("quantdash-fuzz-\(getpid()).npz")

/// libFuzzer entry: `.npz` bytes → ZIP directory → every entry extracted and parsed as `.npy`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard (try? Data(bytes: data, count: size).write(to: archiveURL)) != nil else { return 0 }
    let opened = try? NumPyArchive(contentsOf: archiveURL)
    unlink(archiveURL.path)
    guard let archive = opened else { return 0 }
    for name in archive.arrayNames.prefix(16) {
        guard let array = try? archive.array(named: name) else { continue }
        _ = array.floatValues()
        _ = array.integerValues()
    }
    _ = try? archive.array(named: "x")
    return 0
}

/// The executable's entry point under the name SwiftPM links as `main`: runs libFuzzer's driver.
@_cdecl("FuzzNpz_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

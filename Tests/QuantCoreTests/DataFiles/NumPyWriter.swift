import Foundation
import QuantCore
import ZIPFoundation

/// A tiny `.npy` / `.npz` writer for tests, so fixtures need no Python.
enum NumPyWriter {
    /// A version 1.0 `.npy` file: header dict padded to a multiple of 64 bytes, then `payload`.
    static func npy(descr: String, shape: [Int], fortranOrder: Bool = false, payload: Data) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header =
            "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        let padding = (64 - (10 + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        data.append(UInt8(header.utf8.count & 0xFF))
        data.append(UInt8(header.utf8.count >> 8))
        data.append(contentsOf: Array(header.utf8))
        data.append(payload)
        return data
    }

    /// A float32 `.npy` file.
    static func npy(floats values: [Float], shape: [Int]) -> Data {
        npy(descr: "<f4", shape: shape, payload: values.withUnsafeBytes { Data($0) })
    }

    /// An int64 `.npy` file.
    static func npy(int64s values: [Int64], shape: [Int]) -> Data {
        npy(descr: "<i8", shape: shape, payload: values.map(\.littleEndian).withUnsafeBytes { Data($0) })
    }

    /// Writes an `.npz` archive of `entries` (name → `.npy` bytes), stored or deflated.
    static func npz(_ entries: [(String, Data)], to url: URL, deflated: Bool) throws {
        let archive = try Archive(url: url, accessMode: .create)
        for (name, data) in entries {
            try archive.addEntry(
                with: name + ".npy", type: .file, uncompressedSize: Int64(data.count),
                compressionMethod: deflated ? .deflate : .none
            ) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }
}

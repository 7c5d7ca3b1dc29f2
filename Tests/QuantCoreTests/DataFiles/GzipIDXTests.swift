import Foundation
import QuantCore
import QuantTestSupport
import Testing
import ZIPFoundation

/// IDX files compressed with gzip (`t10k-images-idx3-ubyte.gz`) read like the plain ones.
@Suite struct GzipIDXTests {
    /// Gzip bytes of `data`: a 10-byte header, raw deflate, CRC-32 and size (RFC 1952).
    static func gzip(_ data: Data) throws -> Data {
        var result = Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3])
        _ = try Data.compress(size: Int64(data.count), bufferSize: 1 << 16) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        } consumer: {
            result.append($0)
        }
        let crc = data.crc32(checksum: 0)
        for value in [crc, UInt32(truncatingIfNeeded: data.count)] {
            for shift in stride(from: 0, to: 32, by: 8) {
                result.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }
        return result
    }

    @Test func gzippedIDXFilesMatchThePlainOnes() throws {
        let files = try DemoData.heldOutFiles()
        let folder = try TestSupport.temporaryDirectory()
        let images = folder.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let labels = folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz")
        try Self.gzip(Data(contentsOf: files.images)).write(to: images)
        try Self.gzip(Data(contentsOf: files.labels)).write(to: labels)
        var options = DatasetLoadOptions()
        options.labelsPath = labels.path
        let dataset = try DatasetLoader.load(path: images.path, options: options)
        let plain = try DemoData.heldOutSet()
        #expect(try dataset.images.storage == plain.images.storage)
        #expect(dataset.labels == plain.labels)
    }

    @Test func damagedGzipIsNamed() throws {
        let files = try DemoData.heldOutFiles()
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("labels-idx1-ubyte.gz")
        var bytes = try Self.gzip(Data(contentsOf: files.labels))
        bytes[bytes.count - 1] ^= 0xFF  // the size in the trailer
        try bytes.write(to: url)
        #expect(throws: ModelIOError.self) { try IDXFile.read(from: url) }
        do {
            _ = try IDXFile.read(from: url)
        } catch {
            #expect("\(error)".hasPrefix("\(url.path): gzip: "))
        }
        #expect(throws: ModelIOError.self) { try DataFileFormat(path: "x.npz.gz") }
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.7 and 16.15: compressed data files are checked against what deflate can produce and
/// the memory budget before inflating, `--limit` inflates only the rows it keeps, and
/// multi-member gzip files read whole.
@Suite struct DecompressionBombTests {
    @Test func aTrailerDeclaringMoreThanDeflateCanProduceIsRefusedAtOnce() throws {
        var bytes = try GzipIDXTests.gzip(Data(count: 100_000))
        // 3.85 GB declared by a file of a few hundred bytes.
        let declared: UInt32 = 3_850_000_000
        for shift in 0..<4 { bytes[bytes.count - 4 + shift] = UInt8(truncatingIfNeeded: declared >> (8 * shift)) }
        let error = #expect(throws: ModelIOError.self) { try Gzip.decompress(bytes, path: "bomb.gz") }
        #expect(
            error?.description
                == "bomb.gz: gzip: declares 3850000000 bytes uncompressed from \(bytes.count) compressed, "
                + "more than deflate can produce (at most 1032×)")
    }

    @Test func outputBeyondTheBudgetIsRefused() throws {
        let bytes = try GzipIDXTests.gzip(Data(count: 1_000_000))
        let error = #expect(throws: ModelIOError.self) { try Gzip.decompress(bytes, path: "big.gz", budget: 100_000) }
        #expect(
            error?.description.hasPrefix(
                "big.gz: gzip: 1000000 bytes uncompressed is over the memory budget of 100000 bytes") == true,
            "\(String(describing: error))")
        // A trailer that understates the size cannot get past the budget either.
        var lying = bytes
        for index in lying.count - 4..<lying.count { lying[index] = 0 }
        lying[lying.count - 4] = 10
        #expect(throws: ModelIOError.self) { try Gzip.decompress(lying, path: "lying.gz", budget: 100_000) }
        #expect(try Gzip.decompress(bytes, path: "big.gz", budget: 1_000_000).count == 1_000_000)
    }

    @Test func multiMemberGzipReadsWhole() throws {
        let files = try DemoData.heldOutFiles()
        let plain = try Data(contentsOf: files.labels)
        let half = plain.count / 2
        let joined = try GzipIDXTests.gzip(Data(plain.prefix(half))) + GzipIDXTests.gzip(Data(plain.suffix(from: half)))
        #expect(try Gzip.decompress(joined, path: "two.gz") == plain)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("labels-idx1-ubyte.gz")
        try joined.write(to: url)
        #expect(try IDXFile.read(from: url) == (try IDXFile.read(from: files.labels)))
        // Trailing zero padding is allowed, trailing garbage is not.
        #expect(try Gzip.decompress(joined + Data(count: 512), path: "padded.gz") == plain)
        #expect(throws: ModelIOError.self) { try Gzip.decompress(joined + Data([7, 7, 7]), path: "junk.gz") }
    }

    @Test func aLimitInflatesOnlyTheRowsItKeeps() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 100 000 images of 28×28 (78 MB) in a small gzip file; row i is filled with i % 251.
        var idx = Data([0, 0, 0x08, 3])
        for extent in [100_000, 28, 28] {
            idx.append(contentsOf: withUnsafeBytes(of: UInt32(extent).bigEndian) { Array($0) })
        }
        var payload = Data(count: 100_000 * 784)
        for row in 0..<20 {
            payload.replaceSubrange(row * 784..<(row + 1) * 784, with: Data(repeating: UInt8(row % 251), count: 784))
        }
        let url = folder.appendingPathComponent("images-idx3-ubyte.gz")
        try GzipIDXTests.gzip(idx + payload).write(to: url)
        let file = try IDXFile.read(from: url, rowLimit: 10)
        #expect(file.shape == [10, 28, 28])
        #expect(file.payload.count == 7840)
        #expect(file.payload[784 * 9] == 9)
        // The prefix is exactly what was asked for.
        #expect(try Gzip.prefix(of: Data(contentsOf: url), count: 1000, path: "p").count == 1000)
        // A limit at or above the row count reads the whole file.
        let small = try GzipIDXTests.gzip(
            Data(
                idx.prefix(4) + withUnsafeBytes(of: UInt32(3).bigEndian) { Data($0) } + idx.dropFirst(8)
                    + payload.prefix(3 * 784)))
        try small.write(to: url)
        #expect(try IDXFile.read(from: url, rowLimit: 10).shape == [3, 28, 28])

        // The same for a deflated .npz archive.
        let npz = folder.appendingPathComponent("big.npz")
        try NumPyWriter.npz(
            [
                ("x", NumPyWriter.npy(descr: "|u1", shape: [100_000, 784], payload: payload)),
                ("y", NumPyWriter.npy(int64s: (0..<100_000).map { Int64($0 % 10) }, shape: [100_000])),
            ], to: npz, deflated: true)
        var options = DatasetLoadOptions()
        options.limit = 10
        let dataset = try DatasetLoader.load(path: npz.path, options: options)
        #expect(dataset.count == 10)
        #expect(dataset.labels == Array(0..<10))
        #expect(try dataset.images.storage[784 * 9] == Float(9) / 255)
        let archive = try NumPyArchive(contentsOf: npz)
        #expect(try archive.array(named: "x", rowLimit: 10).shape == [10, 784])
        #expect(try archive.array(named: "x", rowLimit: 200_000).shape == [100_000, 784])
    }
}

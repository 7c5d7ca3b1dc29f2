import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Issue 16.7: `--limit N` reads only the header and the N rows it keeps, for every format.
/// Each file here ends (or turns to garbage) right after the rows kept, so it loads only when
/// nothing after them is read; without the limit the same file is refused.
@Suite struct LimitReadsOnlyItsRowsTests {
    /// `.npy` images [1000, 6] (float32) and labels [1000] (int64), both cut after `kept` rows.
    static func truncatedNpy(kept: Int, in folder: URL) throws -> (images: URL, labels: URL, values: [Float]) {
        let values = (0..<kept * 6).map { Float($0 % 17) / 16 }
        let images = NumPyWriter.npy(floats: values, shape: [1000, 6])
        let labels = NumPyWriter.npy(int64s: (0..<Int64(kept)).map { $0 % 3 }, shape: [1000])
        let imagesURL = folder.appendingPathComponent("x.npy")
        let labelsURL = folder.appendingPathComponent("y.npy")
        try images.write(to: imagesURL)
        try labels.write(to: labelsURL)
        return (imagesURL, labelsURL, values)
    }

    @Test func aNpyCutAfterTheRowsKeptLoadsWithTheLimit() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.truncatedNpy(kept: 10, in: folder)
        var options = DatasetLoadOptions()
        options.labelsPath = files.labels.path
        options.limit = 10
        let data = try DatasetLoader.load(path: files.images.path, options: options)
        #expect(data.count == 10)
        #expect(try data.images.shape == [10, 6])
        #expect(try data.images.storage == files.values)
        #expect(data.labels == (0..<10).map { $0 % 3 })

        // Without the limit, or with one beyond the rows present, the cut file is refused.
        options.limit = nil
        let whole = #expect(throws: ModelIOError.self) {
            try DatasetLoader.load(path: files.images.path, options: options)
        }
        #expect(
            whole?.description.hasPrefix(
                "\(files.images.path): shape (1000, 6) of float32 needs 24000 bytes after the header at byte 128, "
                    + "the file has 240") == true, "\(String(describing: whole))")
        options.limit = 11
        let beyond = #expect(throws: ModelIOError.self) {
            try DatasetLoader.load(path: files.images.path, options: options)
        }
        #expect(
            beyond?.description
                == "\(files.images.path): truncated: the first 11 rows need 264 bytes after the header at byte 128, "
                + "the file has 240")
    }

    @Test func aCSVWhoseRestIsGarbageLoadsWithTheLimit() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("d.csv")
        var bytes = Data("label,a,b\n\n1,0.5,0.25\r\n2,1,2\n0,3,4\n".utf8)
        bytes.append(Data([0xFF, 0xFE, 0x00, 0x41]))  // not UTF-8, not CSV
        try bytes.write(to: url)
        var options = DatasetLoadOptions()
        options.limit = 3
        let data = try DatasetLoader.load(path: url.path, options: options)
        #expect(data.labels == [1, 2, 0])
        #expect(try data.images.storage == [0.5, 0.25, 1, 2, 3, 4])
        // Two rows: the third line is never parsed either.
        options.limit = 2
        #expect(try DatasetLoader.load(path: url.path, options: options).labels == [1, 2])
        options.limit = nil
        #expect(throws: ModelIOError.self) { try DatasetLoader.load(path: url.path, options: options) }
        options.limit = 4
        #expect(throws: ModelIOError.self) { try DatasetLoader.load(path: url.path, options: options) }
    }

    @Test func csvTextStopsAfterTheLastRowKept() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("d.csv")
        // 200 000 rows (about 2 MB, many 64 KiB chunks); the limit keeps 5 and a header line.
        let rows = (0..<200_000).map { "\($0 % 10),\($0),1.5" }
        try (rows.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let text = try CSVDataset.text(ofFileAt: url.path, rowLimit: 5)
        #expect(text == rows.prefix(6).joined(separator: "\n") + "\n")
        #expect(try CSVDataset.text(ofFileAt: url.path, rowLimit: nil).count == (try Data(contentsOf: url)).count)
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Hostile data files (`Tests/Fixtures/invalid/idx/` and `invalid/data/`, made by
/// `Scripts/make_invalid_fixtures.py`) read through `DatasetLoader` as the CLI reads them, each
/// asserted by the one line the user sees. Several headers claim gigabytes in a few bytes.
@Suite struct HostileDataFileTests {
    static let root = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid")
    static let demoImages = TestSupport.packageRoot.appendingPathComponent(
        "Sources/QuantCore/Resources/Demo/mnist-heldout-images.idx3-ubyte"
    ).path

    /// Images file (relative to `invalid/`, or absolute), labels file, the message after `<path>: `,
    /// and which file the message names (`true`: the labels file).
    static let cases: [(images: String, labels: String?, message: String, namesLabels: Bool)] = [
        // IDX, plain and gzip.
        (
            "idx/bad-magic.idx", nil, "bad magic at bytes 0...3: found 50 4B 03 04, expected 00 00 <type code> <rank>",
            false
        ),
        ("idx/too-short.idx", nil, "file is 2 bytes long, too short for the 4-byte IDX magic", false),
        (
            "idx/unknown-type.idx", nil,
            "unknown element type code 0x07 at byte 2 (known: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)",
            false
        ),
        ("idx/rank-zero.idx", nil, "rank 0 at byte 3 is outside 1...8", false),
        ("idx/rank-nine.idx", nil, "rank 9 at byte 3 is outside 1...8", false),
        ("idx/truncated-header.idx", nil, "header for rank 3 needs 16 bytes, but the file has only 8", false),
        (
            "idx/truncated-data.idx", nil,
            "truncated data: 2 × 2 × 2 uint8 elements: expected 8 bytes of data after the 16-byte header, found 5",
            false
        ),
        (
            "idx/lying-dims.idx3-ubyte", nil,
            "truncated data: 1000000 × 28 × 28 uint8 elements: expected 784000000 bytes of data after the 16-byte header, found 14",
            false
        ),
        (
            "idx/overflow-dims.idx", nil,
            "dimensions 4294967295 × 4294967295 × 4294967295 (bytes 4...15) describe more data than can be addressed",
            false
        ),
        (
            "idx/zero-and-overflow-dims.idx", nil,
            "dimensions 0 × 4294967295 × 4294967295 × 4294967295 (bytes 4...19) describe more data than can be addressed",
            false
        ),
        (
            "idx/trailing-bytes.idx", nil,
            "1 trailing byte after the data: 2 uint8 elements: expected 2 bytes of data after the 8-byte header, found 3",
            false
        ),
        ("idx/truncated.idx.gz", nil, "gzip: truncated: 7 bytes, at least 18 needed", false),
        ("idx/bad-crc.idx.gz", nil, "gzip: CRC or size in the trailer at byte 24 does not match the contents", false),
        (
            "idx/gzip-of-truncated.idx.gz", nil,
            "truncated data: 4 × 4 uint8 elements: expected 16 bytes of data after the 12-byte header, found 1", false
        ),
        ("idx/nan-float32.idx", nil, "value nan at index 5 (sample 1) is not a finite number", false),
        ("idx/empty.idx3-ubyte", nil, "holds no samples (shape [0, 2, 2])", false),
        (demoImages, "idx/labels-float.idx1-ubyte", "labels need integer values of shape [N]", true),
        (demoImages, "idx/labels-rank2.idx1-ubyte", "labels need integer values of shape [N]", true),
        (demoImages, "idx/labels-two.idx1-ubyte", "holds 2 labels but the images number 1000", true),
        // NumPy.
        ("data/nan.npy", nil, "value nan at index 4 (sample 1) is not a finite number", false),
        ("data/inf.npz", nil, "value inf at index 2 (sample 0) is not a finite number", false),
        ("data/empty.npy", nil, "holds no samples (shape [0, 4])", false),
        (
            "data/zero-and-overflow-dims.npy", nil,
            "shape (0, 4000000000000, 4000000000) holds more values than can be addressed", false
        ),
        ("data/negative-dim.npy", nil, "bad .npy header at byte 61: expected a non-negative integer", false),
        (
            "data/header-length-lie.npy", nil,
            "truncated: the header length at byte 8 says 65535 bytes, the file ends at byte 152", false
        ),
        (
            "data/huge-header-v2.npy", nil,
            "truncated: the header length at byte 8 says 4294967295 bytes, the file ends at byte 14", false
        ),
        ("data/scalar-images.npy", nil, "images have shape (); they need [N, ...] with at least 2 axes", false),
        ("data/float-labels.npz", nil, "labels are float32; they must be integers (uint8, int32, int64, …)", false),
        ("data/label-count.npz", nil, "holds 3 labels but the images number 2", false),
        ("data/truncated.npz", nil, "not a NumPy .npz file (not a ZIP archive)", false),
        // CSV.
        ("data/nan.csv", nil, "line 3: column 2: 'nan' is not a finite number", false),
        ("data/ragged.csv", nil, "line 3: 2 columns, earlier rows have 3", false),
        ("data/fractional-label.csv", nil, "line 3: column 1: label '2.5' is not a non-negative integer", false),
        (
            "data/huge-label.csv", nil, "line 2: column 1: label '99999999999999999999' is not a non-negative integer",
            false
        ),
        ("data/max-int-label.csv", nil, "label 9223372036854775807 of sample 0 is outside 0..<1000000", false),
        ("data/header-only.csv", nil, "no data rows", false),
        ("data/empty.csv", nil, "no data rows", false),
    ]

    static func url(_ file: String) -> String {
        file.hasPrefix("/") ? file : root.appendingPathComponent(file).path
    }

    @Test(arguments: cases.indices)
    func eachFileGivesItsOneLineError(index: Int) throws {
        let (images, labels, message, namesLabels) = Self.cases[index]
        var options = DatasetLoadOptions()
        options.labelsPath = labels.map(Self.url)
        options.requiresLabels = false
        let named = namesLabels ? Self.url(labels ?? "") : Self.url(images)
        do {
            _ = try DatasetLoader.load(path: Self.url(images), options: options)
            Issue.record("\(images) loaded")
        } catch let error as CustomStringConvertible & Error {
            let text = error.description
            #expect(text.hasPrefix(named), "\(text)")
            #expect(text.hasSuffix(": " + message), "\(text)")
            #expect(!text.contains("\n"), "\(text)")
        }
    }

    @Test func normalizationThatOverflowsIsRefused() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/data/heldout50-x-f32.npy").path
        var options = DatasetLoadOptions()
        options.requiresLabels = false
        options.std = [1e-40]  // 1 / 1e-40 is beyond Float's range
        let error = try #require(throws: ModelIOError.self) { try DatasetLoader.load(path: path, options: options) }
        #expect(
            error.description.hasPrefix("\(path): value at index ")
                && error.description.hasSuffix(" becomes inf after --scale, --mean and --std; check those options"),
            "\(error.description)")
    }

    @Test func everyIDXFixtureIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("idx").path)
        let covered = Set(Self.cases.flatMap { [$0.images, $0.labels ?? ""] })
        #expect(Set(files.map { "idx/" + $0 }).subtracting(covered).isEmpty)
    }
}

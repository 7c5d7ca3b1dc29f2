import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Malformed data files (`Tests/Fixtures/invalid/data/`, made by `Scripts/make_data_fixtures.py`),
/// each asserted by the one line the user sees.
@Suite struct InvalidDataFileTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/data")

    static let cases: [(file: String, labels: String?, message: String)] = [
        ("truncated.npy", nil, "shape (3, 4) of float32 needs 48 bytes after the header at byte 128, the file has 43"),
        ("bad-magic.npy", nil, "not a NumPy .npy file: bad magic at byte 0 (expected \\x93NUMPY)"),
        (
            "fortran-order.npy", nil,
            "Fortran-order arrays are not supported (fortran_order: True); save with np.ascontiguousarray"
        ),
        (
            "count-mismatch.npy", nil,
            "shape (4, 4) of float32 needs 64 bytes after the header at byte 128, the file has 48"
        ),
        (
            "huge-shape.npy", nil,
            "shape (1000000, 1000000) of float32 needs 4000000000000 bytes after the header at byte 128, the file has 48"
        ),
        (
            "unknown-dtype.npy", nil,
            "unsupported dtype '<c8' (descr); supported: uint8, int8, uint16, int32, int64, float32, float64"
        ),
        ("no-x.npz", nil, "no array named 'x' (the archive holds 'images', 'y')"),
        ("negative-label.npz", nil, "label -1 at index 1 is negative"),
        ("bad-value.csv", nil, "line 3: column 3: '1O' is not a finite number"),
        (
            "unknown.format", nil,
            "unknown data format '.format' (expected .npy, .npz, .csv, .idx or *-ubyte, IDX also .gz)"
        ),
    ]

    @Test(arguments: cases.indices)
    func eachFileGivesItsOneLineError(index: Int) throws {
        let (file, labels, message) = Self.cases[index]
        let path = Self.folder.appendingPathComponent(file).path
        var options = DatasetLoadOptions()
        options.labelsPath = labels
        do {
            _ = try DatasetLoader.load(path: path, options: options)
            Issue.record("\(file) loaded")
        } catch let error as ModelIOError {
            let text = error.description
            #expect(text.hasPrefix(path), "\(text)")
            #expect(text.hasSuffix(message), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test func npyImagesWithoutLabelsAskForThem() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/data/heldout50-x-f32.npy").path
        #expect(
            throws: ModelIOError.incompatible(
                path: path, detail: "has no labels; give the labels file (--labels LABELS.npy or .idx)")
        ) {
            try DatasetLoader.load(path: path)
        }
        var options = DatasetLoadOptions()
        options.requiresLabels = false
        #expect(try DatasetLoader.load(path: path, options: options).labels == [Int](repeating: 0, count: 50))
    }
}

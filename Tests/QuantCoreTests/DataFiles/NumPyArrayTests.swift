import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// `.npy` / `.npz` reading against files written by the test's own writer and by NumPy.
@Suite struct NumPyArrayTests {
    @Test(arguments: [
        ("|u1", NumPyArray.ElementType.uint8, [UInt8]([0, 7, 255]), [Float]([0, 7, 255])),
        ("|i1", .int8, [0xFF, 0x02, 0x80], [-1, 2, -128]),
        ("<u2", .uint16, [0x01, 0x01, 0xFF, 0xFF], [257, 65535]),
        ("<i4", .int32, [0xFE, 0xFF, 0xFF, 0xFF], [-2]),
        ("<i8", .int64, [0x05, 0, 0, 0, 0, 0, 0, 0], [5]),
        ("<f4", .float32, [0, 0, 0xC0, 0x3F], [1.5]),
        ("<f8", .float64, [0, 0, 0, 0, 0, 0, 0xF8, 0xBF], [-1.5]),
    ])
    func readsEachElementType(descr: String, type: NumPyArray.ElementType, bytes: [UInt8], expected: [Float]) throws {
        let data = NumPyWriter.npy(descr: descr, shape: [expected.count], payload: Data(bytes))
        let array = try NumPyArray.parse(data, path: "t.npy")
        #expect(array.elementType == type)
        #expect(array.shape == [expected.count])
        #expect(array.floatValues() == expected)
        #expect(array.integerValues()?.map(Float.init) == (type.isInteger ? expected : nil))
    }

    @Test func readsVersion2Headers() throws {
        var data = NumPyWriter.npy(floats: [1, 2, 3, 4], shape: [2, 2])
        // Version 2.0: a 4-byte header length; rebuild with the same header text.
        let length = Int(data[8]) | Int(data[9]) << 8
        var v2 = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, UInt8(length & 0xFF), UInt8(length >> 8), 0, 0])
        v2.append(data.subdata(in: 10..<data.count))
        data = v2
        let array = try NumPyArray.parse(data, path: "v2.npy")
        #expect(array.shape == [2, 2])
        #expect(array.floatValues() == [1, 2, 3, 4])
    }

    @Test(arguments: [false, true])
    func readsArchivesStoredAndDeflated(deflated: Bool) throws {
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("d.npz")
        let images: [Float] = (0..<24).map { Float($0) / 4 }
        try NumPyWriter.npz(
            [
                ("x", NumPyWriter.npy(floats: images, shape: [3, 2, 4])),
                ("y", NumPyWriter.npy(int64s: [2, 0, 1], shape: [3])),
            ],
            to: url, deflated: deflated)
        let dataset = try DatasetLoader.load(path: url.path)
        #expect(try dataset.images.shape == [3, 2, 4])
        #expect(try dataset.images.storage == images)
        #expect(dataset.labels == [2, 0, 1])
        #expect(dataset.classCount == 3)
        let archive = try NumPyArchive(contentsOf: url)
        #expect(archive.arrayNames == ["x", "y"])
    }

    @Test func readsOtherArrayNamesAndSeparateLabels() throws {
        let folder = try TestSupport.temporaryDirectory()
        let npz = folder.appendingPathComponent("named.npz")
        try NumPyWriter.npz(
            [
                ("images", NumPyWriter.npy(floats: [0, 255, 51, 102], shape: [2, 2])),
                ("classes", NumPyWriter.npy(int64s: [1, 0], shape: [2])),
            ], to: npz, deflated: true)
        var options = DatasetLoadOptions()
        options.imagesName = "images"
        options.labelsName = "classes"
        #expect(try DatasetLoader.load(path: npz.path, options: options).labels == [1, 0])

        let images = folder.appendingPathComponent("x.npy")
        let labels = folder.appendingPathComponent("y.npy")
        try NumPyWriter.npy(descr: "|u1", shape: [2, 2], payload: Data([0, 255, 51, 102])).write(to: images)
        try NumPyWriter.npy(int64s: [1, 0], shape: [2]).write(to: labels)
        options = DatasetLoadOptions()
        options.labelsPath = labels.path
        let dataset = try DatasetLoader.load(path: images.path, options: options)
        // uint8 data is divided by 255 unless --scale says otherwise.
        #expect(try dataset.images.storage == [0, 1, 0.2, 0.4])
        options.scaleDivisor = 1
        options.mean = [100]
        options.std = [2]
        #expect(try DatasetLoader.load(path: images.path, options: options).images.storage == [-50, 77.5, -24.5, 1])
        options.limit = 1
        #expect(try DatasetLoader.load(path: images.path, options: options).count == 1)
    }

    @Test func normalizesPerChannel() throws {
        let folder = try TestSupport.temporaryDirectory()
        let url = folder.appendingPathComponent("c.npz")
        // [N=1, C=2, 2]: channel 0 = [1, 3], channel 1 = [10, 30].
        try NumPyWriter.npz(
            [
                ("x", NumPyWriter.npy(floats: [1, 3, 10, 30], shape: [1, 2, 2])),
                ("y", NumPyWriter.npy(int64s: [0], shape: [1])),
            ],
            to: url, deflated: false)
        var options = DatasetLoadOptions()
        options.mean = [1, 10]
        options.std = [2, 20]
        #expect(try DatasetLoader.load(path: url.path, options: options).images.storage == [0, 1, 0, 1])
        options.mean = [1, 2, 3]
        options.std = [1]
        #expect(throws: ModelIOError.self) { try DatasetLoader.load(path: url.path, options: options) }
    }

    @Test func readsCSVWithHeaderDetectionAndLabelColumns() throws {
        let text = "a,b,label\n0.5, 1 ,3\r\n\n2,4,1\n"
        let last = try CSVDataset.parse(text, path: "t.csv", labelColumn: .last)
        #expect(last.labels == [3, 1])
        #expect(last.values == [0.5, 1, 2, 4])
        #expect(last.featureCount == 2)
        let first = try CSVDataset.parse("1,0.5,2\n0,3,4\n", path: "t.csv")
        #expect(first.labels == [1, 0])
        #expect(first.values == [0.5, 2, 3, 4])
        let middle = try CSVDataset.parse("1,0,2\n", path: "t.csv", labelColumn: .index(1), hasHeader: false)
        #expect(middle.labels == [0])
        #expect(CSVLabelColumn(argument: "last") == .last)
        #expect(CSVLabelColumn(argument: "2") == .index(2))
        #expect(CSVLabelColumn(argument: "-1") == nil)
    }

    @Test func numPyFixturesMatchTheBundledIDXDigits() throws {
        let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/data")
        let idx = try DemoData.heldOutSet()
        let expected = try Array(idx.images.storage.prefix(50 * 784))
        let expectedLabels = Array(idx.labels.prefix(50))
        for name in ["heldout50.npz", "heldout50-stored.npz"] {
            let dataset = try DatasetLoader.load(path: folder.appendingPathComponent(name).path)
            #expect(try dataset.images.shape == [50, 28, 28])
            #expect(try dataset.images.storage == expected)
            #expect(dataset.labels == expectedLabels)
        }
        var options = DatasetLoadOptions()
        options.labelsPath = folder.appendingPathComponent("heldout50-y.npy").path
        let npy = try DatasetLoader.load(
            path: folder.appendingPathComponent("heldout50-x-f32.npy").path, options: options)
        #expect(try npy.images.shape == [50, 784])
        #expect(try TestSupport.firstMismatch(npy.images.storage, expected) == nil)
        #expect(npy.labels == expectedLabels)
        options = DatasetLoadOptions()
        options.labelColumn = .last
        options.scaleDivisor = 255
        let csv = try DatasetLoader.load(path: folder.appendingPathComponent("heldout50.csv").path, options: options)
        #expect(try csv.images.storage == expected)
        #expect(csv.labels == expectedLabels)
    }
}

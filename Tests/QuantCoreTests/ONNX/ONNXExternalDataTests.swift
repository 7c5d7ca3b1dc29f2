import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Tensors kept in side files (`data_location = EXTERNAL`) are read from the model's folder and
/// never from outside it. Refusals by fixture are in `ONNXInvalidFileTests`; symlinks are made here.
@Suite struct ONNXExternalDataTests {
    typealias M = ONNXTestModels

    /// A model `y = x · w` whose `w` [2, 2] lives at `location` (offset/length when given).
    static func model(location: String, offset: Int? = nil, length: Int? = nil) -> Data {
        var tensor = Onnx_TensorProto()
        tensor.name = "w"
        tensor.dataType = 1
        tensor.dims = [2, 2]
        tensor.dataLocation = .external
        for (key, value) in [
            ("location", location), ("offset", offset.map(String.init)), ("length", length.map(String.init)),
        ] {
            guard let value else { continue }
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            tensor.externalData.append(entry)
        }
        return M.bytes(
            M.model(
                nodes: [M.node("MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [1, 2])],
                outputs: [("y", [1, 2])], initializers: [tensor]))
    }

    /// [1, 2, 3, 4] as little-endian float32.
    static let weightBytes = Data(
        [Float(1), 2, 3, 4].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } })

    @Test func theCommittedModelReadsItsSideFileAtAnOffset() throws {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/external-data/tiny.onnx")
        let graph = try ONNXModel.load(contentsOf: url)
        #expect(graph.initializers["w"] == Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))
        let output = try GraphExecutor(graph: graph).run(["x": Tensor(shape: [1, 2], storage: [1, 1])])
        #expect(output.first?.value.storage == [4, 6])
    }

    @Test func subfoldersAndSymlinksInsideTheFolderAreRead() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Self.weightBytes.write(to: data.appendingPathComponent("w.bin"))
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("link.bin").path, withDestinationPath: "data/w.bin")
        for location in ["data/w.bin", "./data/w.bin", "link.bin"] {
            let url = folder.appendingPathComponent("m.onnx")
            try Self.model(location: location).write(to: url)
            let graph = try ONNXModel.load(contentsOf: url)
            #expect(graph.initializers["w"]?.storage == [1, 2, 3, 4], "\(location)")
        }
        // The model's folder reached through a symlink is still the model's folder.
        let alias = try TestSupport.temporaryDirectory().appendingPathComponent("alias")
        defer { try? FileManager.default.removeItem(at: alias.deletingLastPathComponent()) }
        try FileManager.default.createSymbolicLink(atPath: alias.path, withDestinationPath: folder.path)
        #expect(try ONNXModel.load(contentsOf: alias.appendingPathComponent("m.onnx")).initializers["w"] != nil)
    }

    @Test func aSymlinkLeadingOutOfTheFolderIsRefused() throws {
        let outside = try TestSupport.temporaryDirectory()
        let folder = try TestSupport.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: outside)
            try? FileManager.default.removeItem(at: folder)
        }
        let secret = outside.appendingPathComponent("secret.bin")
        try Self.weightBytes.write(to: secret)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("w.bin").path, withDestinationPath: secret.path)
        // A symlinked subfolder leading out is refused the same way.
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("sub").path, withDestinationPath: outside.path)
        let url = folder.appendingPathComponent("m.onnx")
        let real = try #require(ONNXExternalData.realPath(secret.path))
        for location in ["w.bin", "sub/secret.bin"] {
            try Self.model(location: location).write(to: url)
            #expect(
                throws: ModelIOError.malformed(
                    path: url.path,
                    detail:
                        "tensor 'w': external data: location '\(location)' resolves to \(real), outside the model's folder"
                )
            ) {
                try ONNXModel.load(contentsOf: url)
            }
        }
    }

    @Test func aFolderOrAnEmptyLocationIsNotAFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("dir"), withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("m.onnx")
        try Self.model(location: "dir").write(to: url)
        #expect(
            throws: ModelIOError.malformed(
                path: url.path, detail: "tensor 'w': external data: location 'dir' is not a readable file")
        ) { try ONNXModel.load(contentsOf: url) }
        try Self.model(location: "").write(to: url)
        #expect(
            throws: ModelIOError.malformed(path: url.path, detail: "tensor 'w': external data: no 'location' key")
        ) { try ONNXModel.load(contentsOf: url) }
    }

    @Test func aModelDecodedFromMemoryHasNoFolderToReadFrom() throws {
        let error = try #require(throws: ModelIOError.self) {
            try ONNXModel.decode(Self.model(location: "w.bin"), source: "m.onnx")
        }
        #expect(
            error.description
                == "m.onnx: tensor 'w' keeps its data in an external file, which is only read when the model is loaded from its file"
        )
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.13: the SHA-256 recorded for a model covers its external data, so changing the
/// weights in the side file changes the digest.
@Suite struct ONNXExternalDataDigestTests {
    @Test func changingTheSideFileChangesTheDigest() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("m.onnx")
        let side = folder.appendingPathComponent("w.bin")
        try ONNXExternalDataTests.model(location: "w.bin").write(to: model)
        try ONNXExternalDataTests.weightBytes.write(to: side)
        #expect(ONNXModel.externalDataFiles(forModelAt: model) == [side])

        let before = try FileReference.digesting(model, path: "m.onnx")
        #expect(before.sha256 == (try FileDigest.sha256(ofConcatenated: [model, side])))
        var changed = ONNXExternalDataTests.weightBytes
        changed[0] ^= 0x01
        try changed.write(to: side)
        let after = try FileReference.digesting(model, path: "m.onnx")
        #expect(after.sha256 != before.sha256)
        // The model file itself did not change.
        #expect(try FileDigest.sha256(of: model) == (try FileDigest.sha256(of: model)))
    }

    @Test func aModelWithoutExternalDataKeepsItsPlainDigest() throws {
        let url = try BundledModel.mlp.url
        #expect(ONNXModel.externalDataFiles(forModelAt: url).isEmpty)
        #expect(try FileReference.digesting(url).sha256 == (try FileDigest.sha256(of: url)))
    }
}

/// Issue 16.8: external data larger than the memory budget is refused with one line before
/// anything is allocated (a sparse 3 GiB side file takes no disk space).
@Suite struct ONNXExternalDataBudgetTests {
    @Test func aHugeSideFileIsRefusedNotAllocated() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let side = folder.appendingPathComponent("huge.bin")
        let byteCount: UInt64 = 3 << 30
        try #require(FileManager.default.createFile(atPath: side.path, contents: nil))
        let handle = try FileHandle(forWritingTo: side)
        try handle.truncate(atOffset: byteCount)
        try handle.close()
        var tensor = Onnx_TensorProto()
        tensor.name = "w"
        tensor.dataType = 1
        tensor.dims = [Int64(byteCount / 4)]
        tensor.dataLocation = .external
        var entry = Onnx_StringStringEntryProto()
        entry.key = "location"
        entry.value = "huge.bin"
        tensor.externalData = [entry]
        let model = ONNXTestModels.model(
            nodes: [ONNXTestModels.node("Relu", name: "r", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1, 2])],
            outputs: [("y", [1, 2])], initializers: [tensor])
        let url = folder.appendingPathComponent("m.onnx")
        try ONNXTestModels.bytes(model).write(to: url)
        let error = #expect(throws: ModelIOError.self) { try ONNXModel.load(contentsOf: url) }
        let text = error?.description ?? ""
        #expect(
            text.hasPrefix(
                "\(url.path): tensor 'w': \(byteCount) bytes of external data in 'huge.bin' is over the memory budget"),
            "\(text)")
        #expect(!text.contains("\n"))
    }

    /// Five tensors, each well under the budget alone, in one sparse side file as large as the
    /// budget (4 GiB on a machine with 16 GiB or more): together they are refused, naming the
    /// tensors and the file, before any of them is read (the test takes milliseconds).
    @Test func theSumOfSeveralTensorsIsCheckedBeforeAnyIsRead() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let budget = MemoryBudget.bytes
        let each = budget / 5 / 4 * 4  // bytes per tensor, whole float32 values
        let side = folder.appendingPathComponent("weights.bin")
        try #require(FileManager.default.createFile(atPath: side.path, contents: nil))
        let handle = try FileHandle(forWritingTo: side)
        try handle.truncate(atOffset: UInt64(each * 5))  // sparse: no disk space
        try handle.close()
        let tensors = (0..<5).map { index in
            var tensor = Onnx_TensorProto()
            tensor.name = "w\(index)"
            tensor.dataType = 1
            tensor.dims = [Int64(each / 4)]
            tensor.dataLocation = .external
            for (key, value) in [("location", "weights.bin"), ("offset", "\(index * each)"), ("length", "\(each)")] {
                var entry = Onnx_StringStringEntryProto()
                entry.key = key
                entry.value = value
                tensor.externalData.append(entry)
            }
            return tensor
        }
        let model = ONNXTestModels.model(
            nodes: [ONNXTestModels.node("Relu", name: "r", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1, 2])],
            outputs: [("y", [1, 2])], initializers: tensors)
        let url = folder.appendingPathComponent("m.onnx")
        try ONNXTestModels.bytes(model).write(to: url)
        let started = Date()
        let error = #expect(throws: ModelIOError.self) { try ONNXModel.load(contentsOf: url) }
        #expect(Date().timeIntervalSince(started) < 5, "nothing is read before the check")
        #expect(
            error?.description
                == "\(url.path): external data: 5 tensors ('w0', 'w1', 'w2' and 2 more) hold \(each * 5) bytes in "
                + "'weights.bin', \(each * 5) bytes as float32 once read; together over the memory budget of "
                + "\(budget) bytes (\(MemoryBudget.origin))")
        // Three of them fit (three kept as float32, and one read at a time).
        let fits = Array(tensors.prefix(3))
        #expect(throws: Never.self) { try ONNXExternalData(path: url.path, folder: folder).checkBudget(fits) }
        // A tensor beyond the end of its (sparse) file is refused by the same check, by name.
        var beyond = tensors[4]
        beyond.externalData[1].value = "\(each * 5 - 4)"
        let late = #expect(throws: ModelIOError.self) {
            try ONNXExternalData(path: url.path, folder: folder).checkBudget([beyond])
        }
        #expect(late?.description.contains("tensor 'w4': external data: offset") == true, "\(String(describing: late))")
    }
}

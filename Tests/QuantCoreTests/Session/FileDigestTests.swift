import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// SHA-256 of files, streamed in chunks, against the FIPS 180-2 test vectors.
@Suite struct FileDigestTests {
    private func withFile(_ data: Data, _ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("file.bin")
        try data.write(to: url)
        try body(url)
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func matchesTheStandardVectors(text: String, digest: String) throws {
        try withFile(Data(text.utf8)) { url throws in
            #expect(try FileDigest.sha256(of: url) == digest)
        }
        #expect(FileDigest.sha256(of: Data(text.utf8)) == digest)
        #expect(FileDigest.isSHA256(digest))
    }

    @Test func aMillionAs() throws {
        try withFile(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)) { url throws in
            #expect(
                try FileDigest.sha256(of: url) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
    }

    @Test func filesLargerThanOneChunkHashAsAWhole() throws {
        let data = Data((0..<(2 * FileDigest.chunkByteCount + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try withFile(data) { url throws in
            #expect(try FileDigest.sha256(of: url) == FileDigest.sha256(of: data))
            #expect(try FileDigest.sha256(ofConcatenated: [url, url]) == FileDigest.sha256(of: data + data))
        }
    }

    @Test func unreadableFilesAreNamed() throws {
        #expect(throws: ModelIOError.unreadable(path: "/nonexistent/model.onnx", reason: "no such file")) {
            try FileDigest.sha256(of: URL(fileURLWithPath: "/nonexistent/model.onnx"))
        }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ModelIOError.unreadable(path: folder.path, reason: "is a directory")) {
            try FileDigest.sha256(of: folder)
        }
    }

    @Test func rejectsDigestsThatAreNotLowercaseHex() {
        #expect(!FileDigest.isSHA256(String(repeating: "A", count: 64)))
        #expect(!FileDigest.isSHA256(String(repeating: "a", count: 63)))
        #expect(!FileDigest.isSHA256(String(repeating: "g", count: 64)))
    }

    @Test func bundledDemoFilesAreRecordedByTheirCommandLineNames() throws {
        let model = try FileReference.bundled(.mlp)
        #expect(model.path == "demo-mlp")
        #expect(try model.sha256 == FileDigest.sha256(of: BundledModel.mlp.url))
        let data = try FileReference.demoHeldOut()
        #expect(data.path == "demo")
        #expect(data.labelsPath == nil)
        let files = try DemoData.heldOutFiles()
        let bytes = try Data(contentsOf: files.images) + Data(contentsOf: files.labels)
        #expect(data.sha256 == FileDigest.sha256(of: bytes))
    }
}

import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// Inputs that hung a reader before the fixes that came out of fuzzing (`Scripts/fuzz.sh`), kept in
/// `Tests/Fixtures/invalid/fuzz/`: each must now fail at once with its one-line error. The time
/// limit catches a hang, not slowness: in a full parallel run on a loaded 2-core machine these
/// millisecond tests once waited more than a minute for a thread (a 1-minute limit failed them).
@Suite(.timeLimit(.minutes(10))) struct FuzzFindingTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/fuzz")

    static let cases: [(file: String, message: String)] = [
        // FuzzIDX: an 18-byte gzip file whose deflate stream is empty made ZIPFoundation's zlib
        // loop ask for more input forever.
        (
            "empty-deflate-stream.idx.gz",
            "gzip: CRC or size in the trailer at byte 10 does not match the contents"
        ),
        // Same loop reading a 204-byte .npz from its file: a deflated entry that is a non-final
        // stored block running past the end of the file never ended.
        // Since issue 16.7 its declared size is refused before inflating (deflate cannot produce it).
        (
            "stored-block-past-eof.npz",
            "deflated entry: declares 2147483647 bytes uncompressed from 96 compressed, more than deflate can produce (at most 1032×)"
        ),
    ]

    @Test(arguments: cases.indices)
    func eachFileFailsWithItsOneLineError(index: Int) throws {
        let (file, message) = Self.cases[index]
        let path = Self.folder.appendingPathComponent(file).path
        do {
            _ = try DatasetLoader.load(path: path)
            Issue.record("\(file) loaded")
        } catch let error as ModelIOError {
            let text = error.description
            #expect(text.hasPrefix(path), "\(text)")
            #expect(text.hasSuffix(message), "\(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test func theReadersRejectTheBytesToo() throws {
        let gzip = try Data(contentsOf: Self.folder.appendingPathComponent("empty-deflate-stream.idx.gz"))
        #expect(throws: ModelIOError.self) { try IDXFile.decode(gzip, path: "g") }
        let archive = try NumPyArchive(contentsOf: Self.folder.appendingPathComponent("stored-block-past-eof.npz"))
        #expect(archive.arrayNames == ["x"])
        #expect(throws: ModelIOError.self) { try archive.array(named: "x") }
    }
}

import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 16.1, 16.10, 16.15: only regular files (or new paths) are replaced, a pair of files is
/// replaced as a pair, and temporary files of killed writers are cleaned up.
@Suite struct AtomicFileHostileTests {
    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    private func names(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    private func fileType(_ path: String) -> mode_t {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        return status.st_mode & S_IFMT
    }

    @Test func aFIFOAndALinkToItAreRefusedAndKept() throws {
        try withFolder { folder in
            let fifo = folder.appendingPathComponent("pipe.h")
            try #require(mkfifo(fifo.path, 0o644) == 0)
            let link = folder.appendingPathComponent("link.h")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: fifo.path)
            for url in [fifo, link] {
                let error = #expect(throws: ModelIOError.self) { try AtomicFile.write(Data("x".utf8), to: url) }
                #expect(error?.description.contains("is not a regular file") == true, "\(String(describing: error))")
            }
            #expect(fileType(fifo.path) == S_IFIFO)
            #expect(fileType(link.path) == S_IFLNK)
            #expect(try names(in: folder) == ["link.h", "pipe.h"])
        }
    }

    @Test func aSocketIsRefused() throws {
        try withFolder { folder in
            let url = folder.appendingPathComponent("s")
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            try #require(descriptor >= 0)
            defer { close(descriptor) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let path = Array(url.path.utf8CString)
            try #require(path.count <= MemoryLayout.size(ofValue: address.sun_path))
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                path.withUnsafeBytes { raw.copyMemory(from: $0) }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0)
            #expect(throws: ModelIOError.self) { try AtomicFile.write(Data("x".utf8), to: url) }
            #expect(fileType(url.path) == S_IFSOCK)
        }
    }

    @Test func aLinkToARegularFileIsReplacedLikeTheFile() throws {
        try withFolder { folder in
            let target = folder.appendingPathComponent("real.json")
            try Data("old".utf8).write(to: target)
            let link = folder.appendingPathComponent("link.json")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
            try AtomicFile.write(Data("new".utf8), to: link)
            #expect(try Data(contentsOf: link) == Data("new".utf8))
        }
    }

    @Test func aPairIsReplacedTogetherOrNotAtAll() throws {
        try withFolder { folder in
            let header = folder.appendingPathComponent("m.h")
            let source = folder.appendingPathComponent("m.c")
            try AtomicFile.write([(Data("h1".utf8), header), (Data("c1".utf8), source)])
            #expect(try Data(contentsOf: header) == Data("h1".utf8))
            #expect(try Data(contentsOf: source) == Data("c1".utf8))

            // The second rename fails after the first succeeded: the first is rolled back.
            var calls = 0
            #expect(throws: ModelIOError.self) {
                try AtomicFile.write([(Data("h2".utf8), header), (Data("c2".utf8), source)]) { from, to in
                    calls += 1
                    if calls == 2 {
                        errno = EIO
                        return -1
                    }
                    return rename(from, to)
                }
            }
            #expect(calls == 2)
            #expect(try Data(contentsOf: header) == Data("h1".utf8))
            #expect(try Data(contentsOf: source) == Data("c1".utf8))
            #expect(try names(in: folder) == ["m.c", "m.h"])

            // A new pair whose second rename fails leaves neither file.
            let other = (folder.appendingPathComponent("n.h"), folder.appendingPathComponent("n.c"))
            calls = 0
            #expect(throws: ModelIOError.self) {
                try AtomicFile.write([(Data("h".utf8), other.0), (Data("c".utf8), other.1)]) { from, to in
                    calls += 1
                    return calls == 2 ? -1 : rename(from, to)
                }
            }
            #expect(try names(in: folder) == ["m.c", "m.h"])
        }
    }

    @Test func aPairWithARefusedMemberWritesNothing() throws {
        try withFolder { folder in
            let header = folder.appendingPathComponent("m.h")
            try Data("old".utf8).write(to: header)
            let source = folder.appendingPathComponent("m.c")
            try #require(mkfifo(source.path, 0o644) == 0)
            #expect(throws: ModelIOError.self) {
                try AtomicFile.write([(Data("h".utf8), header), (Data("c".utf8), source)])
            }
            #expect(try Data(contentsOf: header) == Data("old".utf8))
            #expect(try names(in: folder) == ["m.c", "m.h"])
        }
    }

    @Test func temporaryFilesOfDeadWritersAreRemovedOthersKept() throws {
        try withFolder { folder in
            let url = folder.appendingPathComponent("model.c")
            // A process id that does not run (above Linux's largest pid_max).
            let dead = ".model.c.\(Int32.max - 1).\(UUID().uuidString).tmp"
            let live = ".model.c.\(getpid()).\(UUID().uuidString).tmp"
            let unrelated = ".other.c.\(Int32.max - 1).\(UUID().uuidString).tmp"
            for name in [dead, live, unrelated] {
                try Data("partial".utf8).write(to: folder.appendingPathComponent(name))
            }
            try AtomicFile.write(Data("int x;".utf8), to: url)
            #expect(try names(in: folder) == [live, unrelated, "model.c"].sorted())
        }
    }
}

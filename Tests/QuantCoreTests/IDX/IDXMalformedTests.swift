import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Each broken IDX file as a fixture, asserted by the exact line the user sees.
@Suite struct IDXMalformedTests {
    /// Writes `bytes` to a fresh file and returns the error text reading it produces.
    private func readError(_ bytes: [UInt8]) throws -> (path: String, message: String?) {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("broken.idx")
        try Data(bytes).write(to: url)
        do {
            _ = try IDXFile.read(from: url)
            return (url.path, nil)
        } catch let error as ModelIOError {
            return (url.path, error.description)
        }
    }

    /// The 4-byte big-endian encoding of `value`.
    private func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    @Test func badMagic() throws {
        // A ZIP file's first bytes.
        let (path, message) = try readError([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0])
        #expect(message == "\(path): bad magic at bytes 0...3: found 50 4B 03 04, expected 00 00 <type code> <rank>")
    }

    @Test func truncatedGzip() throws {
        // Gzip-compressed IDX files are decompressed first (see GzipIDXTests); this one is cut short.
        let (path, message) = try readError([0x1F, 0x8B, 0x08, 0x00, 1, 2, 3])
        #expect(message == "\(path): gzip: truncated: 7 bytes, at least 18 needed")
    }

    @Test func tooShortForMagic() throws {
        let (path, message) = try readError([0, 0])
        #expect(message == "\(path): file is 2 bytes long, too short for the 4-byte IDX magic")
        let (emptyPath, emptyMessage) = try readError([])
        #expect(emptyMessage == "\(emptyPath): file is 0 bytes long, too short for the 4-byte IDX magic")
    }

    @Test func unknownType() throws {
        let (path, message) = try readError([0, 0, 0x07, 1] + be32(1) + [5])
        #expect(
            message
                == "\(path): unknown element type code 0x07 at byte 2 (known: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)"
        )
    }

    @Test func rankZeroAndTooHigh() throws {
        let (path, message) = try readError([0, 0, 0x08, 0, 7])
        #expect(message == "\(path): rank 0 at byte 3 is outside 1...8")
        let (highPath, highMessage) = try readError([0, 0, 0x08, 9] + [UInt8](repeating: 0, count: 36))
        #expect(highMessage == "\(highPath): rank 9 at byte 3 is outside 1...8")
    }

    @Test func truncatedHeader() throws {
        let (path, message) = try readError([0, 0, 0x08, 3] + be32(1))
        #expect(message == "\(path): header for rank 3 needs 16 bytes, but the file has only 8")
    }

    @Test func truncatedData() throws {
        let (path, message) = try readError([0, 0, 0x08, 3] + be32(2) + be32(2) + be32(2) + [1, 2, 3, 4, 5])
        #expect(
            message
                == "\(path): truncated data: 2 × 2 × 2 uint8 elements: expected 8 bytes of data after the 16-byte header, found 5"
        )
    }

    @Test func lyingDimensionsInThirtyByteFile() throws {
        // Claims a million MNIST images in 30 bytes; must fail before allocating 784 MB.
        let bytes = [0, 0, 0x08, 3] + be32(1_000_000) + be32(28) + be32(28) + [UInt8](repeating: 9, count: 14)
        #expect(bytes.count == 30)
        let (path, message) = try readError(bytes)
        #expect(
            message
                == "\(path): truncated data: 1000000 × 28 × 28 uint8 elements: expected 784000000 bytes of data after the 16-byte header, found 14"
        )
    }

    @Test func hugeDimensionsWithoutOverflow() throws {
        // 2^32 − 1 float64 values would be 32 GiB; a 30-byte file must not make us allocate it.
        let bytes = [0, 0, 0x0E, 1] + be32(UInt32.max) + [UInt8](repeating: 0, count: 22)
        #expect(bytes.count == 30)
        let (path, message) = try readError(bytes)
        #expect(
            message
                == "\(path): truncated data: 4294967295 float64 elements: expected 34359738360 bytes of data after the 8-byte header, found 22"
        )
    }

    @Test func dimensionsWhoseProductOverflows() throws {
        let bytes = [0, 0, 0x0E, 3] + be32(UInt32.max) + be32(UInt32.max) + be32(UInt32.max) + [1, 2]
        #expect(bytes.count == 18)
        let (path, message) = try readError(bytes)
        #expect(
            message
                == "\(path): dimensions 4294967295 × 4294967295 × 4294967295 (bytes 4...15) describe more data than can be addressed"
        )
    }

    @Test func trailingBytes() throws {
        let (path, message) = try readError([0, 0, 0x08, 1] + be32(2) + [1, 2, 3])
        #expect(
            message
                == "\(path): 1 trailing byte after the data: 2 uint8 elements: expected 2 bytes of data after the 8-byte header, found 3"
        )
        let (widePath, wideMessage) = try readError([0, 0, 0x0B, 1] + be32(1) + [1, 2, 3, 4, 5])
        #expect(
            wideMessage
                == "\(widePath): 3 trailing bytes after the data: 1 int16 elements: expected 2 bytes of data after the 8-byte header, found 5"
        )
    }

    @Test func missingFile() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("nope.idx")
        #expect(throws: ModelIOError.unreadable(path: url.path, reason: "no such file")) {
            try IDXFile.read(from: url)
        }
        #expect(
            ModelIOError.unreadable(path: url.path, reason: "no such file").description
                == "\(url.path): cannot read: no such file")
    }

    @Test func directoryInsteadOfFile() throws {
        let folder = try TestSupport.temporaryDirectory()
        #expect(throws: ModelIOError.unreadable(path: folder.path, reason: "is a directory, not a file")) {
            try IDXFile.read(from: folder)
        }
    }
}

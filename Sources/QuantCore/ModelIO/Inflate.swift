import Foundation
import ZIPFoundation

/// Inflates a raw deflate stream held in memory (the body of a gzip file or of a deflated ZIP
/// entry) with zlib through ZIPFoundation, bounded in both input and output.
///
/// ZIPFoundation's zlib loop on Linux tells zlib that every chunk the provider returns holds a
/// whole buffer, and asks for more, forever, while the stream has not ended. Reading from a file
/// (`Archive.extract`) that over-reads short chunks and never returns on a stream that is cut
/// short (a 200-byte `.npz` hung quantdash); here the last chunk is padded with zeros so zlib
/// never reads past it, and a request beyond it fails.
enum Inflate {
    /// Why inflating failed.
    enum Failure: Error {
        /// The stream is damaged or ends before its last block.
        case damaged
        /// The output would exceed the limit.
        case tooLarge
        /// Internal: the prefix asked for is complete.
        case enough
    }

    /// The first `count` inflated bytes of `stream` (fewer if the stream is shorter), without
    /// inflating the rest; no CRC is checked.
    ///
    /// - Throws: `Failure.damaged` for a stream zlib rejects before `count` bytes.
    static func prefix(of stream: Data, count: Int) throws -> Data {
        var output = Data()
        do {
            _ = try Data.decompress(
                size: Int64(stream.count), bufferSize: 1 << 16, skipCRC32: true, provider: provider(of: stream)
            ) { chunk in
                output.append(chunk.prefix(count - output.count))
                if output.count >= count { throw Failure.enough }
            }
        } catch Failure.enough {
            return output
        } catch {
            if output.count >= count { return output }
            throw Failure.damaged
        }
        return output
    }

    /// The inflated bytes of `stream` and their CRC-32.
    ///
    /// - Throws: `Failure.tooLarge` as soon as the output exceeds `limit` bytes, `.damaged` for
    ///   a stream zlib rejects or that ends early.
    static func data(from stream: Data, limit: Int) throws -> (data: Data, crc: CRC32) {
        var output = Data()
        var tooLarge = false
        do {
            let crc = try Data.decompress(
                size: Int64(stream.count), bufferSize: 1 << 16, skipCRC32: false, provider: provider(of: stream)
            ) { chunk in
                guard output.count + chunk.count <= limit else {
                    tooLarge = true
                    throw Failure.tooLarge
                }
                output.append(chunk)
            }
            return (output, crc)
        } catch {
            throw tooLarge ? Failure.tooLarge : Failure.damaged
        }
    }

    /// Hands zlib `stream` in chunks of the size it asks for, the last one padded with zeros (so
    /// zlib never reads past it); a request beyond the end fails as damaged.
    private static func provider(of stream: Data) -> Provider {
        { position, size in
            let start = Int(position)
            guard start < stream.count else { throw Failure.damaged }
            var chunk = stream.subdata(
                in: stream.startIndex + start..<stream.startIndex + min(start + size, stream.count))
            if chunk.count < size { chunk.append(Data(count: size - chunk.count)) }
            return chunk
        }
    }
}

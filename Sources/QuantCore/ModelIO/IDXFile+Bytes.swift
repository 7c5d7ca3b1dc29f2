import Foundation

extension IDXFile {
    /// Parses the bytes of an IDX file, gzip-compressed or not, as `read(from:)` does for a file;
    /// `path` names the source in errors.
    ///
    /// - Throws: `ModelIOError.malformed` for a damaged gzip stream or an invalid IDX array.
    public static func decode(_ data: Data, path: String) throws -> IDXFile {
        try parse(Gzip.isCompressed(data) ? Gzip.decompress(data, path: path) : data, path: path)
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads tensor bytes that an ONNX model keeps in a side file (`data_location = EXTERNAL`),
/// strictly inside the model's folder.
///
/// A tensor's `external_data` entries are read as ONNX specifies: `location` (a path relative to
/// the model file's folder, required), `offset` and `length` (bytes, optional: from 0 to the end
/// of the file); `checksum` and unknown keys are ignored. Confinement rules, each an error naming
/// the model and the tensor:
/// - `location` must be relative and must not contain a `..` component;
/// - the side file's real path (symlinks resolved with `realpath`) must lie inside the model
///   folder's real path, so a symlink cannot lead out of it;
/// - `offset + length` must lie within the side file, and `length` must be exactly what the
///   tensor's shape needs, so only those bytes are ever read (never more than the file holds).
///
/// | location                     | result                                   |
/// |------------------------------|------------------------------------------|
/// | `weights.bin`                | read from `<model folder>/weights.bin`   |
/// | `data/w.bin`                 | read from a subfolder                    |
/// | `/etc/passwd`, `../w.bin`    | refused before anything is opened        |
/// | `link.bin` → `/tmp/w.bin`    | refused: the real path is outside        |
struct ONNXExternalData {
    /// The model file, for errors.
    let path: String
    /// The folder holding the model file; external locations resolve inside it.
    let folder: URL

    /// Where a tensor's bytes are: a checked range of a side file.
    struct Region {
        /// The side file's real path.
        var file: String
        /// The `location` entry, for messages.
        var location: String
        /// The first byte.
        var offset: Int
        /// The number of bytes (exactly what the tensor's shape needs).
        var size: Int
    }

    /// Checks, before any tensor is read, that the external data of all `tensors` fits the
    /// memory budget together: each tensor read becomes float32 values that stay, and its bytes
    /// are read one tensor at a time, so the sum of their float32 sizes plus the largest tensor's
    /// bytes must fit `budget`. Sizes come from the tensors' shapes and their side files' sizes
    /// (`stat`: a sparse file counts at its full length), so nothing is read to check them.
    ///
    /// - Throws: `ModelIOError.incompatible` naming the model, the tensor(s) and the side
    ///   file(s); `.malformed` for a tensor whose external data is invalid (as reading it would).
    func checkBudget(_ tensors: [Onnx_TensorProto], budget: Int = MemoryBudget.bytes) throws {
        var regions: [(name: String, region: Region, floatBytes: Int)] = []
        for proto in tensors where proto.dataLocation == .external || !proto.externalData.isEmpty {
            let (byteCount, count) = try ONNXTensorCoding.externalByteCount(of: proto, path: path)
            let region = try self.region(for: proto, name: proto.name, byteCount: byteCount)
            let (floatBytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            let entry = (name: proto.name, region: region, floatBytes: overflow ? Int.max : floatBytes)
            // A tensor alone: its bytes read and its float32 values.
            guard entry.floatBytes <= budget - min(region.size, budget) else {
                throw ModelIOError.incompatible(
                    path: path,
                    detail: "tensor '\(Printable.name(entry.name))': \(region.size) bytes of external data in "
                        + "'\(Printable.name(region.location))' is over the memory budget of \(budget) bytes "
                        + "(\(MemoryBudget.origin))")
            }
            regions.append(entry)
        }
        let kept = regions.reduce(0) {
            $0.addingReportingOverflow($1.floatBytes).overflow ? Int.max : $0 + $1.floatBytes
        }
        let largest = regions.map { $0.region.size }.max() ?? 0
        guard kept <= budget - min(largest, budget) else {
            let stored = regions.reduce(0) { $0 &+ $1.region.size }
            var files: [String] = []
            for entry in regions where !files.contains(entry.region.location) { files.append(entry.region.location) }
            throw ModelIOError.incompatible(
                path: path,
                detail: "external data: \(regions.count) tensors (\(Self.brief(regions.map { $0.name }))) hold "
                    + "\(stored) bytes in \(Self.brief(files)), \(kept) bytes as float32 once read; "
                    + "together over the memory budget of \(budget) bytes (\(MemoryBudget.origin))")
        }
    }

    /// `'a', 'b', 'c'` (names escaped), or the first three and how many more.
    private static func brief(_ names: [String]) -> String {
        let shown = names.prefix(3).map { "'\(Printable.name($0))'" }.joined(separator: ", ")
        return names.count > 3 ? "\(shown) and \(names.count - 3) more" : shown
    }

    /// The `byteCount` bytes that `proto` (named `name` in errors) keeps in its side file.
    ///
    /// - Throws: `ModelIOError.malformed` naming the model, the tensor and the problem.
    func bytes(for proto: Onnx_TensorProto, name: String, byteCount: Int) throws -> Data {
        let region = try self.region(for: proto, name: name, byteCount: byteCount)
        func malformed(_ detail: String) -> ModelIOError {
            .malformed(path: path, detail: "tensor '\(name)': external data: \(detail)")
        }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: region.file))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(region.offset))
            let data = try handle.read(upToCount: region.size) ?? Data()
            guard data.count == region.size else {
                throw malformed("'\(region.location)' ended after \(data.count) of \(region.size) bytes")
            }
            return data
        } catch let error as ModelIOError {
            throw error
        } catch {
            throw malformed("cannot read '\(region.location)': \(error.localizedDescription)")
        }
    }

    /// The checked region of the side file holding `proto`'s `byteCount` bytes: the location is
    /// confined to the model's folder, the range lies within the file and has exactly that size.
    ///
    /// - Throws: `ModelIOError.malformed` naming the model, the tensor and the problem.
    func region(for proto: Onnx_TensorProto, name: String, byteCount: Int) throws -> Region {
        func malformed(_ detail: String) -> ModelIOError {
            .malformed(path: path, detail: "tensor '\(name)': external data: \(detail)")
        }
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw malformed("no 'location' key")
        }
        guard !location.hasPrefix("/") else {
            throw malformed("location '\(location)' is an absolute path; it must be relative to the model's folder")
        }
        guard !location.split(separator: "/").contains(".."), !location.contains("\0") else {
            throw malformed("location '\(location)' contains '..'; it must stay inside the model's folder")
        }
        let offset = try number(entries["offset"], key: "offset", malformed: malformed) ?? 0
        let length = try number(entries["length"], key: "length", malformed: malformed)

        let candidate = folder.appendingPathComponent(location).path
        guard let real = Self.realPath(candidate) else {
            throw malformed("location '\(location)': no such file next to the model")
        }
        guard let folderReal = Self.realPath(folder.path),
            real.hasPrefix(folderReal.hasSuffix("/") ? folderReal : folderReal + "/")
        else {
            throw malformed("location '\(location)' resolves to \(real), outside the model's folder")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real, isDirectory: &isDirectory), !isDirectory.boolValue,
            let attributes = try? FileManager.default.attributesOfItem(atPath: real),
            let fileSize = (attributes[.size] as? NSNumber)?.intValue
        else {
            throw malformed("location '\(location)' is not a readable file")
        }
        guard offset <= fileSize else {
            throw malformed("offset \(offset) is beyond the end of '\(location)' (\(fileSize) bytes)")
        }
        let available = fileSize - offset
        let size = length ?? available
        guard size <= available else {
            throw malformed(
                "offset \(offset) + length \(size) is beyond the end of '\(location)' (\(fileSize) bytes)")
        }
        guard size == byteCount else {
            throw malformed("\(size) bytes at offset \(offset) of '\(location)'; the tensor's shape needs \(byteCount)")
        }
        return Region(file: real, location: location, offset: offset, size: size)
    }

    /// A non-negative decimal `offset` or `length`, or `nil` when absent.
    private func number(
        _ text: String?, key: String, malformed: (String) -> ModelIOError
    ) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw malformed("\(key) '\(text)' is not a non-negative whole number")
        }
        return value
    }

    /// The canonical absolute path of an existing file or folder (symlinks resolved), else `nil`.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension ONNXModel {
    /// The side files the ONNX model at `url` keeps tensor data in (`location` of its
    /// initializers' and Constant nodes' external data), resolved next to the model, each once,
    /// in order of first use; empty for a model without external data or that cannot be decoded
    /// (loading it reports why). Digests of a model cover these files too (issue 16.13).
    public static func externalDataFiles(forModelAt url: URL) -> [URL] {
        guard let data = try? Data(contentsOf: url, options: .mappedIfSafe),
            let model = try? Onnx_ModelProto(serializedBytes: data)
        else { return [] }
        var tensors = model.graph.initializer
        for node in model.graph.node {
            tensors += node.attribute.filter { $0.hasT }.map(\.t)
        }
        var seen = Set<String>()
        var files: [URL] = []
        let folder = url.deletingLastPathComponent()
        for tensor in tensors where tensor.dataLocation == .external || !tensor.externalData.isEmpty {
            guard let location = tensor.externalData.first(where: { $0.key == "location" })?.value,
                !location.isEmpty, !location.hasPrefix("/"), !location.split(separator: "/").contains(".."),
                seen.insert(location).inserted
            else { continue }
            files.append(folder.appendingPathComponent(location))
        }
        return files
    }
}

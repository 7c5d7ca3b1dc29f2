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

    /// The `byteCount` bytes that `proto` (named `name` in errors) keeps in its side file.
    ///
    /// - Throws: `ModelIOError.malformed` naming the model, the tensor and the problem.
    func bytes(for proto: Onnx_TensorProto, name: String, byteCount: Int) throws -> Data {
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
        // The bytes are read, then converted to float32: both must fit the budget (issue 16.8).
        let budget = MemoryBudget.bytes
        guard size <= budget / 2 else {
            throw ModelIOError.incompatible(
                path: path,
                detail: "tensor '\(Printable.name(name))': \(size) bytes of external data in '\(location)' is over "
                    + "the memory budget of \(budget) bytes (a quarter of this machine's memory)")
        }
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: real))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: size) ?? Data()
            guard data.count == size else {
                throw malformed("'\(location)' ended after \(data.count) of \(size) bytes")
            }
            return data
        } catch let error as ModelIOError {
            throw error
        } catch {
            throw malformed("cannot read '\(location)': \(error.localizedDescription)")
        }
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

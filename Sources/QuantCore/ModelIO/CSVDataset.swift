import Foundation

/// Which CSV column holds the class label.
public enum CSVLabelColumn: Sendable, Equatable {
    /// The first column (MNIST-style `label,pixel0,…`).
    case first
    /// The last column.
    case last
    /// The column at this index, counting from 0.
    case index(Int)

    /// Parses `first`, `last` or a column index counting from 0; `nil` for anything else.
    public init?(argument: String) {
        switch argument {
        case "first": self = .first
        case "last": self = .last
        default:
            guard let index = Int(argument), index >= 0 else { return nil }
            self = .index(index)
        }
    }
}

/// A labelled CSV file read strictly: one sample per line, comma-separated numbers, one of them
/// the integer label; an optional header row.
public struct CSVDataset: Sendable, Equatable {
    /// The feature values, row-major: `rowCount × featureCount`.
    public var values: [Float]
    /// One label per row.
    public var labels: [Int]
    /// Values per row besides the label.
    public var featureCount: Int

    /// Parses CSV text.
    ///
    /// - Parameters:
    ///   - text: the file's contents; `\n` or `\r\n` line ends; blank lines are skipped.
    ///   - path: names the file in errors.
    ///   - labelColumn: where the label is.
    ///   - hasHeader: `true` skips the first line; `nil` skips it when any of its fields is not
    ///     a number.
    ///   - limit: stop after this many rows.
    /// - Throws: `ModelIOError.malformed` naming the line and column (both counting from 1) of
    ///   the first bad value, a row of the wrong length, or a label that is not a non-negative integer.
    public static func parse(
        _ text: String, path: String, labelColumn: CSVLabelColumn = .first, hasHeader: Bool? = nil, limit: Int? = nil
    ) throws -> CSVDataset {
        func malformed(_ line: Int, _ detail: String) -> ModelIOError {
            .malformed(path: path, detail: "line \(line): \(detail)")
        }
        var result = CSVDataset(values: [], labels: [], featureCount: 0)
        var columnCount: Int?
        var labelIndex = 0
        var isFirst = true
        // "\r\n" is a single Character and a newline, so Windows line ends split here too.
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = offset + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if isFirst {
                isFirst = false
                if hasHeader ?? fields.contains(where: { Float($0) == nil }) { continue }
            }
            if let limit, result.labels.count >= limit { break }
            if let columnCount {
                guard fields.count == columnCount else {
                    throw malformed(lineNumber, "\(fields.count) columns, earlier rows have \(columnCount)")
                }
            } else {
                guard fields.count >= 2 else {
                    throw malformed(lineNumber, "a row needs a label and at least one value")
                }
                columnCount = fields.count
                switch labelColumn {
                case .first: labelIndex = 0
                case .last: labelIndex = fields.count - 1
                case .index(let index):
                    guard index < fields.count else {
                        throw malformed(
                            lineNumber, "label column \(index) does not exist (columns 0–\(fields.count - 1))")
                    }
                    labelIndex = index
                }
                result.featureCount = fields.count - 1
            }
            for (column, field) in fields.enumerated() {
                if column == labelIndex {
                    guard let label = Int(field), label >= 0 else {
                        throw malformed(
                            lineNumber, "column \(column + 1): label '\(field)' is not a non-negative integer")
                    }
                    result.labels.append(label)
                } else {
                    guard let value = Float(field), value.isFinite else {
                        throw malformed(lineNumber, "column \(column + 1): '\(field)' is not a finite number")
                    }
                    result.values.append(value)
                }
            }
        }
        guard !result.labels.isEmpty else { throw ModelIOError.malformed(path: path, detail: "no data rows") }
        return result
    }
}

extension CSVDataset {
    /// The text of the CSV file at `path`: all of it, or with `rowLimit` only up to the end of
    /// the line holding the last row kept (an optional header line and `rowLimit` non-blank
    /// lines), read in 64 KiB chunks so `--limit` never reads the rest of a large file.
    ///
    /// - Throws: `ModelIOError.unreadable` when the file cannot be read, `.malformed` when the
    ///   text read is not UTF-8.
    public static func text(ofFileAt path: String, rowLimit: Int?) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw ModelIOError.unreadable(path: path, reason: reason)
        }
        defer { try? handle.close() }
        var bytes = Data()
        // Lines ending in "\n" that hold something besides white space, and whether the line
        // being read does.
        var lines = 0
        var lineHasText = false
        let wanted = rowLimit.map { max($0, 0) + 1 }  // one more: the first line may be a header
        do {
            reading: while true {
                guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
                guard let wanted else {
                    bytes.append(chunk)
                    continue
                }
                for (offset, byte) in chunk.enumerated() {
                    if byte == UInt8(ascii: "\n") {
                        if lineHasText { lines += 1 }
                        lineHasText = false
                        if lines >= wanted {
                            bytes.append(chunk.prefix(offset + 1))
                            break reading
                        }
                    } else if byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t"), byte != UInt8(ascii: "\r") {
                        lineHasText = true
                    }
                }
                bytes.append(chunk)
            }
        } catch {
            throw ModelIOError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw ModelIOError.malformed(path: path, detail: "is not UTF-8 text")
        }
        return text
    }
}

import Foundation

/// Finds the first object key that appears twice in the same JSON object.
///
/// `JSONDecoder` keeps one of two equal keys silently, so `{ "bits": 4, "bits": 8 }` would be
/// read as one of them without a word; plans are checked with this first (issue 16.15). The
/// scan is one linear pass over the bytes that understands strings (with escapes), objects and
/// arrays, and ignores everything else; it assumes nothing about validity (the decoder reports
/// syntax errors) and keys are compared after decoding their escapes.
///
/// | JSON | result |
/// | --- | --- |
/// | `{"a": 1, "b": {"a": 2}}` | `nil` |
/// | `{"layers": {"fc1": {}, "fc1": {}}}` | `layers.fc1` |
enum JSONDuplicateKeys {
    /// The dotted path of the first repeated key (`layers.fc1`), or `nil` when keys are unique.
    static func first(in bytes: [UInt8]) -> String? {
        // One frame per open container: the keys seen (objects only) and the current key.
        var frames: [(isObject: Bool, keys: Set<String>, key: String?)] = []
        var index = 0
        var expectingKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append((true, [], nil))
                expectingKey = true
            case UInt8(ascii: "["):
                frames.append((false, [], nil))
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !frames.isEmpty { frames.removeLast() }
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = frames.last?.isObject ?? false
            case UInt8(ascii: "\""):
                let (text, end) = string(in: bytes, from: index)
                index = end
                if expectingKey, let last = frames.indices.last {
                    if frames[last].keys.contains(text) {
                        return (frames.dropLast().compactMap(\.key) + [text]).joined(separator: ".")
                    }
                    frames[last].keys.insert(text)
                    frames[last].key = text
                    expectingKey = false
                }
                continue
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The decoded string starting at the quote at `start`, and the index after its closing quote.
    private static func string(in bytes: [UInt8], from start: Int) -> (String, Int) {
        var index = start + 1
        var raw: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                raw.append(bytes[index])
                index += 1
            }
            raw.append(bytes[index])
            index += 1
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard raw.contains(UInt8(ascii: "\\")) else { return (text, index + 1) }
        // Decode escapes (\u00e9 and é are the same key) through the standard parser.
        let decoded = (try? JSONDecoder().decode(String.self, from: Data("\"\(text)\"".utf8))) ?? text
        return (decoded, index + 1)
    }
}

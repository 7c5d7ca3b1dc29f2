/// Makes untrusted text (names from model, plan, data and session files) safe to print.
///
/// Every message, table and error line that shows such a string goes through `name` (one
/// value) or `text` (a whole block of output): control characters — ESC, the C0 and C1 ranges,
/// DEL, and the bidirectional overrides that reorder a line — are written as visible escapes
/// (`\e`, `\n`, `\u{9B}`), so a crafted name cannot retitle the terminal, clear the screen or
/// forge another line; and a name longer than `nameLimit` characters is cut.
///
/// | input | `name` |
/// | --- | --- |
/// | `fc1` | `fc1` |
/// | `a\u{1B}]0;pwned\u{07}` | `a\e]0;pwned\u{07}` |
/// | 10 MB of `x` | the first 120 `x`, then `… (10485640 more bytes)` |
public enum Printable {
    /// The most characters of one name that messages show.
    public static let nameLimit = 120

    /// `text` as one printable token: every control character escaped, at most `limit` characters kept.
    public static func name(_ text: String, limit: Int = nameLimit) -> String {
        escaped(text, keepingNewlines: false, limit: limit)
    }

    /// A block of output (several lines): control characters other than newline escaped, each run
    /// longer than `limit` characters between newlines cut.
    public static func text(_ text: String, limit: Int = 4 * nameLimit + 4000) -> String {
        escaped(text, keepingNewlines: true, limit: limit)
    }

    /// Whether `scalar` must not reach a terminal raw.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // direction marks and overrides
        default: false
        }
    }

    private static func escaped(_ text: String, keepingNewlines: Bool, limit: Int) -> String {
        // The common case, checked without allocating: short and nothing to escape.
        if text.utf8.count <= limit,
            !text.unicodeScalars.contains(where: { isControl($0) && !(keepingNewlines && $0 == "\n") })
        {
            return text
        }
        var result = ""
        var lineLength = 0
        var consumedBytes = 0
        var skipping = false
        var skippedBytes = 0
        for scalar in text.unicodeScalars {
            let width = UTF8.width(scalar)
            consumedBytes += width
            if keepingNewlines && scalar == "\n" {
                if skipping { result += "… (\(skippedBytes) more bytes)" }
                skipping = false
                skippedBytes = 0
                lineLength = 0
                result.append("\n")
                continue
            }
            if skipping {
                skippedBytes += width
                continue
            }
            if lineLength >= limit {
                if !keepingNewlines {
                    return result + "… (\(text.utf8.count - consumedBytes + width) more bytes)"
                }
                skipping = true
                skippedBytes = width
                continue
            }
            lineLength += 1
            switch scalar {
            case "\u{1B}": result += "\\e"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        if skipping { result += "… (\(skippedBytes) more bytes)" }
        return result
    }
}

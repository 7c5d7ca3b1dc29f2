/// The header dict of a `.npy` file, parsed from its Python literal:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (50, 784), }`.
///
/// Only what NumPy writes is accepted: string, boolean and integer-tuple values, each key once.
struct NumPyHeader {
    /// `descr`, e.g. `<f4`.
    var descr: String?
    /// `fortran_order`.
    var isFortranOrder: Bool?
    /// `shape`.
    var shape: [Int]?

    /// A parsed value.
    private enum Value {
        case string(String)
        case boolean(Bool)
        case tuple([Int])
    }

    /// Parses `text`, the header that starts at byte `offset` of the file `path`.
    static func parse(_ text: String, path: String, offset: Int) throws -> NumPyHeader {
        var scanner = Scanner(characters: Array(text), path: path, offset: offset)
        var header = NumPyHeader()
        try scanner.expect("{")
        var seen = Set<String>()
        while true {
            scanner.skipSpaces()
            if scanner.consume("}") { break }
            let key = try scanner.string()
            guard seen.insert(key).inserted else { throw scanner.error("the key '\(key)' appears twice") }
            try scanner.expect(":")
            let value = try scanner.value()
            switch (key, value) {
            case ("descr", .string(let text)): header.descr = text
            case ("fortran_order", .boolean(let flag)): header.isFortranOrder = flag
            case ("shape", .tuple(let extents)): header.shape = extents
            case ("descr", _), ("fortran_order", _), ("shape", _):
                throw scanner.error("the key '\(key)' has a value of the wrong kind")
            default: throw scanner.error("unexpected key '\(key)' (expected descr, fortran_order, shape)")
            }
            scanner.skipSpaces()
            if scanner.consume(",") { continue }
            try scanner.expect("}")
            break
        }
        scanner.skipSpaces()
        guard scanner.isAtEnd else { throw scanner.error("text after the header dict") }
        return header
    }

    /// The element type and shape after checking that all three keys are present and supported.
    func validated(path: String) throws -> (elementType: NumPyArray.ElementType, shape: [Int]) {
        func malformed(_ detail: String) -> ModelIOError { .malformed(path: path, detail: detail) }
        guard let descr else { throw malformed("the header has no 'descr' key") }
        guard let isFortranOrder else { throw malformed("the header has no 'fortran_order' key") }
        guard let shape else { throw malformed("the header has no 'shape' key") }
        let supported = NumPyArray.ElementType.allCases.map { "\($0)" }.joined(separator: ", ")
        guard let order = descr.first, descr.count >= 2,
            let elementType = NumPyArray.ElementType(rawValue: String(descr.dropFirst()))
        else {
            throw malformed("unsupported dtype '\(descr)' (descr); supported: \(supported)")
        }
        guard order == "<" || order == "|" || order == "=" || (order == ">" && elementType.byteWidth == 1) else {
            throw malformed(
                "big-endian dtype '\(descr)' (descr) is not supported; save with dtype '<\(descr.dropFirst())'")
        }
        guard !isFortranOrder else {
            throw malformed(
                "Fortran-order arrays are not supported (fortran_order: True); save with np.ascontiguousarray")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw malformed("negative extent in shape \(Self.format(shape))") }
        return (elementType, shape)
    }

    /// A shape as NumPy prints it: `(50, 784)`.
    static func format(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// Reads the header literal one character at a time.
    private struct Scanner {
        var characters: [Character]
        var path: String
        var offset: Int
        var position = 0

        init(characters: [Character], path: String, offset: Int) {
            self.characters = characters
            self.path = path
            self.offset = offset
        }

        var isAtEnd: Bool { position >= characters.count }

        func error(_ detail: String) -> ModelIOError {
            .malformed(path: path, detail: "bad .npy header at byte \(offset + position): \(detail)")
        }

        mutating func skipSpaces() {
            while position < characters.count, characters[position].isWhitespace { position += 1 }
        }

        mutating func consume(_ character: Character) -> Bool {
            skipSpaces()
            guard position < characters.count, characters[position] == character else { return false }
            position += 1
            return true
        }

        mutating func expect(_ character: Character) throws {
            guard consume(character) else { throw error("expected '\(character)'") }
        }

        mutating func string() throws -> String {
            skipSpaces()
            guard position < characters.count, characters[position] == "'" || characters[position] == "\"" else {
                throw error("expected a quoted key or string")
            }
            let quote = characters[position]
            position += 1
            var text = ""
            while position < characters.count, characters[position] != quote {
                text.append(characters[position])
                position += 1
            }
            guard position < characters.count else { throw error("unterminated string") }
            position += 1
            return text
        }

        mutating func integer() throws -> Int {
            skipSpaces()
            var digits = ""
            while position < characters.count, characters[position].isASCII, characters[position].isNumber {
                digits.append(characters[position])
                position += 1
            }
            if position < characters.count, characters[position] == "L" { position += 1 }  // Python 2 longs
            guard let value = Int(digits) else {
                throw error(digits.isEmpty ? "expected a non-negative integer" : "extent \(digits) is too large")
            }
            return value
        }

        mutating func value() throws -> Value {
            skipSpaces()
            guard position < characters.count else { throw error("expected a value") }
            switch characters[position] {
            case "'", "\"": return .string(try string())
            case "(":
                position += 1
                var extents: [Int] = []
                while !consume(")") {
                    extents.append(try integer())
                    if !consume(",") {
                        try expect(")")
                        break
                    }
                }
                return .tuple(extents)
            default:
                for (word, flag) in [("True", true), ("False", false)] where characters[position...].starts(with: word)
                {
                    position += word.count
                    return .boolean(flag)
                }
                throw error("expected a string, True, False or a tuple")
            }
        }
    }
}

/// A parsed ONNX `Einsum` equation of the forms the engine runs: one or two operands, each label
/// at most once per operand, optional `...` (broadcast axes), explicit (`->`) or implicit output.
///
/// That covers what exporters emit for transformers: `bhid,bhjd->bhij`, `bhij,bhjd->bhid`,
/// `bij,bjk->bik`, `ij,jk->ik`, `...ij,...jk->...ik`, transposes (`ij->ji`), sums (`ij->i`),
/// inner and outer products. Diagonals (`ii->i`), three or more operands and output labels no
/// operand has are refused at load with a message naming the equation.
public struct EinsumEquation: Sendable, Equatable {
    /// The label standing for the `...` axes.
    static let ellipsis: Character = "."

    /// The equation as written in the model.
    public let text: String
    /// Each operand's labels in axis order (`ellipsis` once for `...`).
    let operands: [[Character]]
    /// The output's labels in axis order (`ellipsis` once for `...`).
    let output: [Character]

    /// Parses `text`.
    ///
    /// - Throws: `EinsumEquation.Refusal` saying why the equation is not supported.
    public init(_ text: String) throws {
        self.text = text
        let compact = text.filter { !$0.isWhitespace }
        let sides = compact.components(separatedBy: "->")
        guard sides.count <= 2 else { throw Refusal("more than one '->'") }
        let terms = try sides[0].split(separator: ",", omittingEmptySubsequences: false).map {
            try EinsumEquation.labels(String($0))
        }
        guard terms.count == 1 || terms.count == 2 else {
            throw Refusal("\(terms.count) operands (only one or two)")
        }
        for term in terms where Set(term).count != term.count {
            throw Refusal("a label repeated within one operand (diagonals are not supported)")
        }
        if sides.count == 2 {
            output = try EinsumEquation.labels(sides[1])
            guard Set(output).count == output.count else { throw Refusal("a label repeated in the output") }
            let known = Set(terms.joined())
            if let unknown = output.first(where: { !known.contains($0) }) {
                throw Refusal("output label '\(unknown)' is in no operand")
            }
        } else {
            // Implicit output: `...` first, then the labels used exactly once, alphabetically.
            let all = terms.joined()
            let once = Set(
                all.filter { label in label != EinsumEquation.ellipsis && all.filter { $0 == label }.count == 1 })
            output = (all.contains(EinsumEquation.ellipsis) ? [EinsumEquation.ellipsis] : []) + once.sorted()
        }
        operands = terms
    }

    /// Why an equation is not supported.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        /// What is unsupported.
        public var reason: String
        init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// The labels of one term: ASCII letters and at most one `...`.
    private static func labels(_ term: String) throws -> [Character] {
        var result: [Character] = []
        var rest = Substring(term)
        while let first = rest.first {
            if rest.hasPrefix("...") {
                guard !result.contains(ellipsis) else { throw Refusal("'...' twice in one term") }
                result.append(ellipsis)
                rest = rest.dropFirst(3)
            } else if first.isASCII, first.isLetter {
                result.append(first)
                rest = rest.dropFirst()
            } else {
                throw Refusal("character '\(first)' is not a letter or '...'")
            }
        }
        return result
    }
}

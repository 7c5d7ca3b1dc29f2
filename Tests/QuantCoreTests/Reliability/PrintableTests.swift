import Foundation
import Testing

@testable import QuantCore

/// Issue 16.6 and 16.12: untrusted names are printed with control characters escaped and cut
/// to a bounded length.
@Suite struct PrintableTests {
    @Test func plainNamesAreUnchanged() {
        #expect(Printable.name("fc1") == "fc1")
        #expect(Printable.name("conv/1.weight ü") == "conv/1.weight ü")
        #expect(Printable.text("a\nb") == "a\nb")
    }

    @Test func controlCharactersAreEscaped() {
        let title = "x\u{1B}]0;pwned\u{07}\u{1B}[2J\r\n\t\u{7F}\u{9B}\u{202E}"
        let escaped = Printable.name(title)
        #expect(escaped == "x\\e]0;pwned\\u{7}\\e[2J\\r\\n\\t\\u{7F}\\u{9B}\\u{202E}")
        #expect(!escaped.unicodeScalars.contains { Printable.isControl($0) })
        // In a block of text newlines stay, everything else is escaped.
        #expect(Printable.text("a\u{1B}c\nb") == "a\\ec\nb")
    }

    @Test func hugeNamesAreCut() {
        let huge = String(repeating: "x", count: 10_000_000)
        let start = Date()
        let name = Printable.name(huge)
        #expect(
            name == String(repeating: "x", count: Printable.nameLimit)
                + "… (\(10_000_000 - Printable.nameLimit) more bytes)")
        let text = Printable.text("head\n" + huge + "\ntail", limit: 10)
        #expect(text == "head\nxxxxxxxxxx… (\(10_000_000 - 10) more bytes)\ntail")
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func errorsNamingNodesAndLayersAreEscaped() {
        let hostile = "a\u{1B}[2Jb"
        #expect(GraphError.missingOutput(hostile).description == "graph output 'a\\e[2Jb' is never produced")
        let plan = PlanError.unknownLayer(file: "p.json", name: hostile, validNames: ["fc\u{1B}1"])
        #expect(!plan.description.contains("\u{1B}"))
        #expect(plan.description.contains("a\\e[2Jb"))
        let long = PlanError.unknownLayer(
            file: "p.json", name: String(repeating: "y", count: 1_000_000), validNames: [])
        #expect(long.description.utf8.count < 1000)
    }
}

import CNcursesShim
import QuantTUI
import Testing

@testable import NcursesBackend

@Suite struct CellAttributesTests {
    @Test func textStylesMapToNcursesAttributes() {
        #expect(CellAttributes.attributes(for: []) == qd_attr_normal())
        #expect(CellAttributes.attributes(for: .bold) == qd_attr_bold())
        #expect(CellAttributes.attributes(for: .dim) == qd_attr_dim())
        #expect(CellAttributes.attributes(for: .reverse) == qd_attr_reverse())
        #expect(CellAttributes.attributes(for: .underline) == qd_attr_underline())
        #expect(
            CellAttributes.attributes(for: [.bold, .reverse])
                == qd_attr_bold() | qd_attr_reverse())
        #expect(qd_attr_bold() != qd_attr_dim())
    }

    @Test func pairsAreAllocatedOnFirstUseAndReused() {
        var table = ColorPairTable(pairCount: 64, colorCount: 8, hasDefaultColors: true)
        #expect(table.pair(foreground: .default, background: .default) == .init(number: 0))
        #expect(
            table.pair(foreground: .red, background: .default)
                == .init(number: 1, allocation: .init(number: 1, foreground: 1, background: -1)))
        #expect(
            table.pair(foreground: .black, background: .green)
                == .init(number: 2, allocation: .init(number: 2, foreground: 0, background: 2)))
        #expect(table.pair(foreground: .red, background: .default) == .init(number: 1))
        #expect(table.allocatedCount == 2)
    }

    @Test func withoutDefaultColorsDefaultIsWhiteOnBlack() {
        var table = ColorPairTable(pairCount: 64, colorCount: 8, hasDefaultColors: false)
        #expect(
            table.pair(foreground: .red, background: .default).allocation
                == .init(number: 1, foreground: 1, background: 0))
        #expect(
            table.pair(foreground: .default, background: .blue).allocation
                == .init(number: 2, foreground: 7, background: 4))
        #expect(table.pair(foreground: .default, background: .default).number == 0)
    }

    @Test func runningOutOfPairsFallsBackToDefaultBackgroundThenPairZero() {
        // Pairs 1 and 2 only.
        var table = ColorPairTable(pairCount: 3, colorCount: 8, hasDefaultColors: true)
        #expect(table.pair(foreground: .red, background: .default).number == 1)
        #expect(table.pair(foreground: .green, background: .default).number == 2)
        #expect(table.pair(foreground: .red, background: .blue) == .init(number: 1))
        #expect(table.pair(foreground: .cyan, background: .blue) == .init(number: 0))
        #expect(table.allocatedCount == 2)
    }

    @Test func allCombinationsFitInATypicalTerminal() {
        var table = ColorPairTable(pairCount: 256, colorCount: 256, hasDefaultColors: true)
        var numbers = Set<Int16>()
        for foreground in Color.allCases {
            for background in Color.allCases {
                numbers.insert(table.pair(foreground: foreground, background: background).number)
            }
        }
        #expect(numbers.count == 81)
        #expect(table.allocatedCount == 80)
    }

    @Test func coloursBeyondTheTerminalDrawAsDefault() {
        let table = ColorPairTable(pairCount: 64, colorCount: 4, hasDefaultColors: true)
        #expect(table.number(of: .blue, isForeground: true) == -1)
        #expect(table.number(of: .yellow, isForeground: true) == 3)
    }

    @Test func noColorFollowsNoColorOrg() {
        #expect(!NcursesBackend.Options.isNoColorRequested(noColor: nil))
        #expect(!NcursesBackend.Options.isNoColorRequested(noColor: ""))
        #expect(NcursesBackend.Options.isNoColorRequested(noColor: "1"))
        #expect(NcursesBackend.Options.isNoColorRequested(noColor: "0"))
    }

    @Test(arguments: [("UTF-8", true), ("utf8", true), ("ANSI_X3.4-1968", false), ("ISO-8859-1", false)])
    func utf8Codesets(codeset: String, isUTF8: Bool) {
        #expect(NcursesBackend.isUTF8(codeset: codeset) == isUTF8)
    }

    @Test func errorsAreOneLine() {
        let errors: [NcursesError] = [
            .notATerminal(stream: "standard output"), .unknownTerminal(term: nil),
            .unknownTerminal(term: "dumb"), .initializationFailed(term: "xterm"), .alreadyRunning,
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(!error.description.isEmpty)
        }
        #expect(NcursesError.unknownTerminal(term: "dumb").description.contains("\"dumb\""))
    }
}

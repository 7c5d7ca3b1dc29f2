import Foundation
import Testing

@testable import QuantCore

/// Budgets (issue 14.3): the line typed in the dashboard and saved in presets.
@Suite struct BudgetsTests {
    @Test func readsEveryKindOfBudget() throws {
        #expect(try Budgets(parsing: "1pt 8x") == Budgets(accuracy: .maxDrop(points: 1), size: .ratio(8)))
        #expect(try Budgets(parsing: "99% 3.5bpw") == Budgets(accuracy: .minFidelity(0.99), size: .bitsPerWeight(3.5)))
        #expect(try Budgets(parsing: "40KiB").size == .bytes(40 * 1024))
        #expect(
            try Budgets(parsing: "1.5M, 0.25pts") == Budgets(accuracy: .maxDrop(points: 0.25), size: .bytes(1_572_864)))
        #expect(try Budgets(parsing: "  ").isEmpty)
        #expect(try Budgets(parsing: "none").isEmpty)
    }

    @Test(arguments: ["lots", "1pt 2pt", "8x 40K", "-1pt", "0.5x", "0bpw", "0%", "abcx"])
    func refusesWhatIsNotOneBudgetOfEachKind(line: String) {
        #expect(throws: BudgetError.self) { try Budgets(parsing: line) }
    }

    @Test func itsTextReadsBackAsTheSameBudgets() throws {
        for line in ["1pt 8x", "99.5% 3.5bpw", "0.5pt 40KiB", "2.25x", "0pt"] {
            let budgets = try Budgets(parsing: line)
            #expect(try Budgets(parsing: budgets.text) == budgets, "\(line) → \(budgets.text)")
        }
    }

    @Test func sizeBudgetsBecomeByteLimits() throws {
        let floatBytes = 400_000
        let parameters = 100_000
        #expect(try Budgets(parsing: "8x").byteLimit(floatBytes: floatBytes, parameters: parameters) == floatBytes / 8)
        // 4 bits per parameter of 100 000 parameters are 50 000 bytes.
        #expect(try Budgets(parsing: "4bpw").byteLimit(floatBytes: floatBytes, parameters: parameters) == 50_000)
        #expect(try Budgets(parsing: "20K").byteLimit(floatBytes: floatBytes, parameters: parameters) == 20_480)
        #expect(try Budgets(parsing: "1pt").byteLimit(floatBytes: floatBytes, parameters: parameters) == nil)
    }

    @Test func accuracyBudgetsCompareDropsAndAgreement() throws {
        let drop = try Budgets(parsing: "1pt")
        #expect(drop.meetsAccuracy(deltaPoints: -1, agreement: nil) == true)
        #expect(drop.meetsAccuracy(deltaPoints: -1.1, agreement: 1) == false)
        #expect(drop.meetsAccuracy(deltaPoints: nil, agreement: 1) == nil)
        let fidelity = try Budgets(parsing: "99%")
        #expect(fidelity.meetsAccuracy(deltaPoints: nil, agreement: 0.995) == true)
        #expect(fidelity.meetsAccuracy(deltaPoints: 5, agreement: 0.98) == false)
    }

    @Test func presetsKeepTheBudgetsAndRefuseBadOnes() throws {
        var preset = SessionTestPresets.small()
        preset.budgets = try Budgets(parsing: "0.5pt 3.5bpw")
        let data = try preset.encoded()
        #expect(String(decoding: data, as: UTF8.self).contains(#""budgets" : "0.5pt 3.5bpw""#))
        #expect(try SessionPreset.decoded(from: data, file: "p.json") == preset)
        let bad = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "0.5pt 3.5bpw", with: "lots")
        #expect {
            try SessionPreset.decoded(from: Data(bad.utf8), file: "p.json")
        } throws: { error in
            let text = "\(error)"
            return text.contains("p.json") && text.contains("budgets") && text.contains("'lots'")
        }
    }
}

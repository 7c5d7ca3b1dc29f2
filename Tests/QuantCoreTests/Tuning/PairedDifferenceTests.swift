import Testing

@testable import QuantCore

/// The paired interval of a top-1 change: counts from per-sample flags, and an interval that
/// reflects how many predictions flipped rather than the accuracy itself.
@Suite struct PairedDifferenceTests {
    /// Flags with `gained` samples right only after, `lost` right only before, the rest alike.
    static func flags(count: Int, gained: Int, lost: Int) -> (before: [Bool], after: [Bool]) {
        var before = [Bool](repeating: true, count: count)
        var after = before
        for index in 0..<gained { before[index] = false }
        for index in gained..<(gained + lost) { after[index] = false }
        for index in stride(from: gained + lost, to: count, by: 7) {
            before[index] = false
            after[index] = false
        }
        return (before, after)
    }

    @Test func countsOnlyTheDiscordantSamples() {
        let (before, after) = Self.flags(count: 1000, gained: 2, lost: 12)
        let difference = PairedDifference(baseline: before, candidate: after)
        #expect(difference.gained == 2 && difference.lost == 12 && difference.count == 1000)
        let accuracyBefore = Double(before.filter { $0 }.count) / 1000
        let accuracyAfter = Double(after.filter { $0 }.count) / 1000
        #expect(abs(difference.delta - (accuracyAfter - accuracyBefore)) < 1e-12)
        #expect(difference.interval.contains(difference.delta))
        #expect(difference.isSignificant)
    }

    @Test func fewFlipsGiveANarrowIntervalManyFlipsAWideOne() {
        let few = PairedDifference(count: 1000, gained: 3, lost: 3)
        let many = PairedDifference(count: 1000, gained: 60, lost: 60)
        let width = { (d: PairedDifference) in d.interval.upperBound - d.interval.lowerBound }
        #expect(few.delta == 0 && many.delta == 0)
        #expect(!few.isSignificant && !many.isSignificant)
        #expect(width(few) < width(many))
        // Two independent 95 % Wilson intervals on 1000 samples near 96 % are ±1.2 points each;
        // six flips must give far less.
        let wilson = EvaluationMetrics.wilsonInterval(successes: 960, trials: 1000)
        #expect(width(few) < (wilson.upperBound - wilson.lowerBound) / 2)
    }

    @Test func symmetricAndBounded() {
        let up = PairedDifference(count: 50, gained: 10, lost: 2)
        let down = PairedDifference(count: 50, gained: 2, lost: 10)
        #expect(abs(up.interval.lowerBound + down.interval.upperBound) < 1e-12)
        #expect(abs(up.interval.upperBound + down.interval.lowerBound) < 1e-12)
        let all = PairedDifference(count: 5, gained: 0, lost: 5)
        #expect(all.interval.lowerBound >= -1 && all.interval.upperBound <= 1 && all.delta == -1)
        #expect(PairedDifference(baseline: [], candidate: []).interval == 0...0)
    }
}

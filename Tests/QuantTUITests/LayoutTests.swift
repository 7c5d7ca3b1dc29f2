import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct LayoutTests {
    @Test func documentedExampleSharesTheRestBetweenFillAndMin() {
        let area = Rect(x: 0, y: 0, width: 80, height: 30)
        let rows = Layout.vertical([.length(3), .fill, .percentage(30), .min(5)], in: area)
        #expect(rows.map(\.height) == [3, 9, 9, 9])
        #expect(rows.map(\.y) == [0, 3, 12, 21])
        #expect(rows.allSatisfy { $0.x == 0 && $0.width == 80 })
    }

    @Test func minKeepsItsBaseWhenTheShareIsSmaller() {
        #expect(Layout.resolve([.fill, .min(20)], extent: 30) == [10, 20])
        #expect(Layout.resolve([.fill, .min(5)], extent: 30) == [15, 15])
    }

    @Test func maxStopsAtItsBoundAndTheRestGoesToFill() {
        #expect(Layout.resolve([.max(4), .fill], extent: 30) == [4, 26])
        #expect(Layout.resolve([.max(4), .max(6)], extent: 30) == [4, 26])
    }

    @Test func remainderGoesToTheFirstGrowingSegments() {
        #expect(Layout.resolve([.fill, .fill, .fill], extent: 10) == [4, 3, 3])
    }

    @Test func withoutGrowingSegmentsTheLastTakesTheRest() {
        #expect(Layout.resolve([.length(3), .percentage(50)], extent: 10) == [3, 7])
    }

    @Test func earlierSegmentsWinWhenSpaceRunsOut() {
        #expect(Layout.resolve([.length(3), .fill, .length(1)], extent: 2) == [2, 0, 0])
        #expect(Layout.resolve([.length(1), .min(5), .length(1)], extent: 4) == [1, 3, 0])
        #expect(Layout.resolve([.length(-4), .percentage(250)], extent: 10) == [0, 10])
    }

    @Test func spacingSitsBetweenSegments() {
        let columns = Layout.horizontal([.length(10), .fill], in: Rect(x: 2, y: 1, width: 30, height: 5), spacing: 1)
        #expect(columns == [Rect(x: 2, y: 1, width: 10, height: 5), Rect(x: 13, y: 1, width: 19, height: 5)])
    }

    @Test func emptyInputsGiveEmptyOutputs() {
        #expect(Layout.vertical([], in: Rect(x: 0, y: 0, width: 5, height: 5)).isEmpty)
        #expect(Layout.vertical([.fill, .length(2)], in: .zero) == [.zero, .zero])
    }

    @Test(arguments: 0..<200)
    func sizesAlwaysSumToTheExtent(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let count = random.next(in: 1...6)
        let constraints: [Layout.Constraint] = (0..<count).map { _ in
            switch random.next(in: 0...4) {
            case 0: .length(random.next(in: -2...40))
            case 1: .percentage(random.next(in: -10...120))
            case 2: .min(random.next(in: 0...30))
            case 3: .max(random.next(in: 0...30))
            default: .fill
            }
        }
        let extent = random.next(in: 0...120)
        let spacing = random.next(in: 0...2)
        let sizes = Layout.resolve(constraints, extent: extent, spacing: spacing)
        #expect(sizes.count == count)
        #expect(sizes.allSatisfy { $0 >= 0 })
        let gaps = min(spacing * (count - 1), extent)
        #expect(sizes.reduce(0, +) == extent - gaps)
        let area = Rect(x: 3, y: 0, width: extent, height: 2)
        for rect in Layout.horizontal(constraints, in: area, spacing: spacing) {
            #expect(rect.intersection(area) == rect || rect.isEmpty)
        }
    }
}

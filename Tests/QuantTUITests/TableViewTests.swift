import QuantTestSupport
import Testing

@testable import QuantTUI

@Suite struct TableViewTests {
    static let columns = [
        TableColumn(title: "layer", width: .flexible(min: 5), priority: 10),
        TableColumn(title: "bits", width: .fixed(5), alignment: .right, priority: 9),
        TableColumn(title: "scheme", width: .fixed(9), priority: 5),
        TableColumn(title: "MSE", width: .fixed(7), alignment: .right, priority: 3),
    ]
    static let rows = [
        ["conv1.weight", "4", "symmetric", "1.2e-4"],
        ["conv2.weight", "8", "asymmetric", "3.1e-6"],
        ["fc1", "2", "ternary", "0.012"],
        ["fc2", "float", "—", "0"],
    ]
    static let table = TableView(columns: columns, rows: rows, selectedRow: 1, markedRows: [0])

    @Test func fullWidthShowsEveryColumn() {
        let buffer = render(Self.table, size: Size(width: 40, height: 5))
        expectBuffer(
            buffer,
            lines: [
                "  layer           bits scheme        MSE",
                "• conv1.weight       4 symmetric  1.2e-4",
                "  conv2.weight       8 asymmetr…  3.1e-6",
                "  fc1                2 ternary     0.012",
                "  fc2            float —               0",
            ])
    }

    @Test func headerIsBoldAndTheSelectedRowIsReversedAcrossTheWidth() {
        let buffer = render(Self.table, size: Size(width: 40, height: 5))
        #expect(buffer[2, 0].style == .bold)
        for column in 0..<40 {
            #expect(buffer[column, 2].style == .reverse)
            #expect(buffer[column, 3].style == .plain)
        }
    }

    @Test func narrowTablesShedLowPriorityColumnsFirst() {
        expectBuffer(
            render(Self.table, size: Size(width: 30, height: 3)),
            lines: [
                "  layer         bits scheme",
                "• conv1.weight     4 symmetric",
                "  conv2.weight     8 asymmetr…",
            ])
        expectBuffer(
            render(Self.table, size: Size(width: 20, height: 3)),
            lines: [
                "  layer         bits",
                "• conv1.weight     4",
                "  conv2.weight     8",
            ])
        expectBuffer(
            render(Self.table, size: Size(width: 12, height: 3)),
            lines: [
                "  layer",
                "• conv1.wei…",
                "  conv2.wei…",
            ])
        expectBuffer(
            render(Self.table, size: Size(width: 6, height: 3)),
            lines: [
                "  lay…",
                "• con…",
                "  con…",
            ])
        expectBuffer(
            render(Self.table, size: Size(width: 2, height: 3)),
            lines: [
                "",
                "•",
                "",
            ])
    }

    @Test func asciiMarkerAndEllipsis() {
        var table = Self.table
        table.glyphs = .ascii
        expectBuffer(
            render(table, size: Size(width: 30, height: 3)),
            lines: [
                "  layer         bits scheme",
                "* conv1.weight     4 symmetric",
                "  conv2.weight     8 asymmetr~",
            ])
    }

    @Test func scrollOffsetShowsALaterWindowAndIsClamped() {
        let rows = (0..<10).map { ["row \($0)", "\($0 * $0)"] }
        let columns = [
            TableColumn(title: "name", width: .flexible(min: 4), priority: 1),
            TableColumn(title: "n²", width: .fixed(3), alignment: .right, priority: 0),
        ]
        var table = TableView(columns: columns, rows: rows, selectedRow: 5, scrollOffset: 3)
        expectBuffer(
            render(table, size: Size(width: 12, height: 4)),
            lines: [
                "  name    n²",
                "  row 3    9",
                "  row 4   16",
                "  row 5   25",
            ])
        table.scrollOffset = 50
        expectBuffer(
            render(table, size: Size(width: 12, height: 4)),
            lines: [
                "  name    n²",
                "  row 7   49",
                "  row 8   64",
                "  row 9   81",
            ])
        #expect(table.rowIndex(atScreenRow: 1, in: Rect(x: 0, y: 0, width: 12, height: 4)) == 7)
    }

    @Test(arguments: [
        (2, 0, 5, 20, 0), (7, 0, 5, 20, 3), (1, 3, 5, 20, 1), (19, 0, 5, 20, 15), (0, 18, 5, 20, 0),
        (4, 2, 5, 20, 2), (3, 0, 0, 20, 0), (3, 9, 10, 4, 0), (-3, 5, 5, 20, 0), (40, 0, 5, 20, 15),
    ])
    func scrollOffsetKeepsTheSelectionVisibleWithMinimalMovement(
        selected: Int, current: Int, visibleRows: Int, rowCount: Int, expected: Int
    ) {
        #expect(
            TableView.scrollOffset(selected: selected, current: current, visibleRows: visibleRows, rowCount: rowCount)
                == expected)
    }

    @Test func rowIndexMapsClicksToRows() {
        let area = Rect(x: 2, y: 3, width: 30, height: 4)
        var table = Self.table
        #expect(table.rowIndex(atScreenRow: 3, in: area) == nil)  // header
        #expect(table.rowIndex(atScreenRow: 4, in: area) == 0)
        #expect(table.rowIndex(atScreenRow: 6, in: area) == 2)
        #expect(table.rowIndex(atScreenRow: 7, in: area) == nil)  // below the area
        table.scrollOffset = 1
        #expect(table.rowIndex(atScreenRow: 6, in: area) == 3)
        #expect(TableView.visibleRowCount(in: area) == 3)
        #expect(TableView.visibleRowCount(in: .zero) == 0)
    }

    @Test func emptyTableShowsTheHeaderAndTheMessage() {
        let table = TableView(columns: Self.columns, rows: [], emptyMessage: "no layers")
        expectBuffer(
            render(table, size: Size(width: 40, height: 3)),
            lines: [
                "  layer           bits scheme        MSE",
                "no layers",
                "",
            ])
    }

    @Test func flexibleColumnsShareTheSpareWidthAndMissingCellsAreBlank() {
        let columns = [
            TableColumn(title: "a", width: .flexible(min: 1)),
            TableColumn(title: "b", width: .flexible(min: 1)),
            TableColumn(title: "c", width: .fixed(2), alignment: .right),
        ]
        let table = TableView(columns: columns, rows: [["x", "y", "z"], ["only"]], showsMarkerColumn: false)
        expectBuffer(
            render(table, size: Size(width: 13, height: 3)),
            lines: [
                "a     b     c",
                "x     y     z",
                "only",
            ])
    }
}

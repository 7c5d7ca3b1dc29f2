import QuantTestSupport
import Testing

@testable import QuantTUI

/// Long path-like layer names (PyTorch exports of ResNets) keep their distinguishing end in a
/// narrow layer column, and a last `/Op` part (the op has its own column) is left out.
@Suite struct LayerNameColumnTests {
    @Test func aColumnThatKeepsTheEndCutsAtTheStart() {
        let table = TableView(
            columns: [
                TableColumn(title: "layer", width: .fixed(10), priority: 10, keepsEnd: true),
                TableColumn(title: "bits", width: .fixed(5), alignment: .right, priority: 9),
            ],
            rows: [["/layer1/layer1.0/conv1", "4"], ["/layer1/layer1.1/conv1", "8"], ["fc", "float"]],
            selectedRow: 0, markedRows: [])
        let buffer = render(table, size: Size(width: 18, height: 4))
        expectBuffer(
            buffer,
            lines: [
                "  layer       bits",
                "  …1.0/conv1     4",
                "  …1.1/conv1     8",
                "  fc         float",
            ])
    }

    @Test func theLastOpPartIsLeftOutOnlyWhenItNamesTheOp() {
        #expect(LayerTablePane.shortName("/layer1/layer1.0/conv1/Conv", op: "Conv") == "/layer1/layer1.0/conv1")
        #expect(LayerTablePane.shortName("/fc/Gemm", op: "Gemm") == "/fc")
        #expect(LayerTablePane.shortName("fc1", op: "Gemm") == "fc1")
        #expect(LayerTablePane.shortName("/Conv", op: "Conv") == "/Conv")  // nothing would be left
        #expect(LayerTablePane.shortName("/block/Conv", op: "Gemm") == "/block/Conv")
    }
}

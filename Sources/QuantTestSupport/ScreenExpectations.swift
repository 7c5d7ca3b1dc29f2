import QuantTUI
import Testing

/// Compares a whole rendered screen with the expected lines (trailing spaces ignored), printing
/// both screens side by side on failure, so tests read like screenshots.
public func expectBuffer(
    _ buffer: ScreenBuffer, lines expected: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    let actual = buffer.lines
    let trimmedExpected = expected.map { line -> String in
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
    guard actual != trimmedExpected else { return }
    let width = max(buffer.size.width, trimmedExpected.map(\.count).max() ?? 0)
    var report = ["screen differs (actual | expected):"]
    for row in 0..<max(actual.count, trimmedExpected.count) {
        let left = row < actual.count ? actual[row] : ""
        let right = row < trimmedExpected.count ? trimmedExpected[row] : ""
        let marker = left == right ? " " : "≠"
        report.append("\(marker) |\(left.padding(toLength: width, withPad: " ", startingAt: 0))| |\(right)|")
    }
    Issue.record(Comment(rawValue: report.joined(separator: "\n")), sourceLocation: sourceLocation)
}

/// Renders `widget` into a fresh buffer of `size` and returns it.
public func render(_ widget: some Widget, size: Size) -> ScreenBuffer {
    var buffer = ScreenBuffer(size: size)
    widget.render(in: buffer.area, into: &buffer)
    return buffer
}

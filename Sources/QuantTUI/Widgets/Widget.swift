/// Something that draws itself into an area of a screen buffer.
///
/// Widgets are plain values rebuilt from the application state every frame; they take plain
/// data (numbers, strings), never engine types, and draw only inside `area`.
public protocol Widget {
    /// Draws into `area` of `buffer`; must not touch cells outside `area`.
    func render(in area: Rect, into buffer: inout ScreenBuffer)
}

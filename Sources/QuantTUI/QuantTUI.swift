import QuantCore

/// The dashboard module: layout, widgets, state and input handling, rendered into a cell
/// buffer so it can be tested without a terminal. The dashboard issue fills it in.
public enum QuantTUI {
    /// The module's version string, shown in the dashboard's title bar.
    public static let version = "0.1.0"
}

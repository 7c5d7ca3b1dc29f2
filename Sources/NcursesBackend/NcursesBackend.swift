import CNcursesShim
import QuantTUI

/// The only code that talks to ncurses. The dashboard issue adds setup, flushing and input.
public enum NcursesBackend {
    /// The linked ncurses library's version, e.g. `"ncurses 6.4.20221231"`.
    public static var libraryVersion: String {
        guard let version = curses_version() else { return "ncurses (unknown version)" }
        return String(cString: version)
    }
}

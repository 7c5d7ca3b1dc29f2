import CNcursesShim
import QuantTUI

/// What one `wget_wch` result means, before the backend asks ncurses for details.
enum DecodedInput: Equatable, Sendable {
    /// A key the dashboard understands.
    case key(Key)
    /// A mouse event is waiting: read it with `getmouse`.
    case mouse
    /// The terminal was resized: read the new size.
    case resize
}

/// Turns ncurses key codes and mouse button states into dashboard events.
///
/// Pure functions (no terminal needed), so the whole table is unit-tested.
///
/// | `wget_wch` gives                         | Key                      |
/// |------------------------------------------|--------------------------|
/// | `KEY_UP` `KEY_DOWN` `KEY_LEFT` `KEY_RIGHT` | `.up` `.down` `.left` `.right` |
/// | `KEY_PPAGE` `KEY_NPAGE` `KEY_HOME` `KEY_END` | `.pageUp` `.pageDown` `.home` `.end` |
/// | `KEY_ENTER`, `\r` (13), `\n` (10)          | `.enter`                 |
/// | `KEY_BACKSPACE`, DEL (127), `^H` (8)       | `.backspace`             |
/// | `KEY_DC` / `KEY_BTAB` / `KEY_F(1…12)`      | `.delete` / `.backTab` / `.function(n)` |
/// | ESC (27) / TAB (9)                         | `.escape` / `.tab`       |
/// | 1…26 otherwise                             | `.control("a"…"z")`      |
/// | a printable code point                     | `.character`             |
/// | anything else (NUL, 28…31, C1 controls, unknown key codes) | ignored (`nil`) |
enum InputDecoding {
    /// Decodes one `wget_wch` result.
    ///
    /// - Parameters:
    ///   - code: The value `wget_wch` stored.
    ///   - isKeyCode: Whether `wget_wch` returned `KEY_CODE_YES` (a function-key code) rather
    ///     than `OK` (a character).
    /// - Returns: The meaning, or `nil` for input the dashboard ignores.
    static func decode(_ code: UInt32, isKeyCode: Bool) -> DecodedInput? {
        isKeyCode ? decodeKeyCode(Int32(truncatingIfNeeded: code)) : decodeCharacter(code)
    }

    /// The mouse event for an ncurses button state at a cell, or `nil` for buttons and
    /// transitions the dashboard does not use (releases, right button).
    static func mouseEvent(buttonState: mmask_t, column: Int32, row: Int32) -> MouseEvent? {
        let kind: MouseEvent.Kind
        if buttonState & (qd_button1_pressed() | qd_button1_clicked()) != 0 {
            kind = .press
        } else if buttonState & qd_button4_pressed() != 0 {
            kind = .scrollUp
        } else if buttonState & qd_button5_pressed() != 0 {
            kind = .scrollDown
        } else {
            return nil
        }
        guard column >= 0, row >= 0 else { return nil }
        return MouseEvent(kind: kind, column: Int(column), row: Int(row))
    }

    /// The mask passed to `mousemask`: left press, wheel up, wheel down.
    static var mouseMask: mmask_t {
        qd_button1_pressed() | qd_button4_pressed() | qd_button5_pressed()
    }

    private static let keyCodes: [Int32: Key] = {
        let named: [(Int32, Key)] = [
            (qd_key_up(), .up), (qd_key_down(), .down), (qd_key_left(), .left),
            (qd_key_right(), .right), (qd_key_page_up(), .pageUp), (qd_key_page_down(), .pageDown),
            (qd_key_home(), .home), (qd_key_end(), .end), (qd_key_enter(), .enter),
            (qd_key_backspace(), .backspace), (qd_key_delete(), .delete),
            (qd_key_back_tab(), .backTab),
        ]
        var table: [Int32: Key] = [:]
        for (code, key) in named { table[code] = key }
        for number in 1...12 { table[qd_key_function(Int32(number))] = .function(number) }
        return table
    }()

    private static func decodeKeyCode(_ code: Int32) -> DecodedInput? {
        if code == qd_key_resize() { return .resize }
        if code == qd_key_mouse() { return .mouse }
        return keyCodes[code].map(DecodedInput.key)
    }

    private static func decodeCharacter(_ code: UInt32) -> DecodedInput? {
        switch code {
        case 13, 10: return .key(.enter)
        case 27: return .key(.escape)
        case 9: return .key(.tab)
        case 127, 8: return .key(.backspace)
        case 1...26:
            guard let letter = Unicode.Scalar(code + 0x60) else { return nil }
            return .key(.control(Character(letter)))
        case 0..<32, 0x80..<0xA0: return nil
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }
}

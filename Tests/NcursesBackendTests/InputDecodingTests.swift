import CNcursesShim
import QuantTUI
import Testing

@testable import NcursesBackend

@Suite struct InputDecodingTests {
    /// (ncurses key code, expected key) for codes `wget_wch` reports with `KEY_CODE_YES`.
    static let keyCodes: [(Int32, Key)] = [
        (qd_key_up(), .up), (qd_key_down(), .down), (qd_key_left(), .left),
        (qd_key_right(), .right), (qd_key_page_up(), .pageUp), (qd_key_page_down(), .pageDown),
        (qd_key_home(), .home), (qd_key_end(), .end), (qd_key_enter(), .enter),
        (qd_key_backspace(), .backspace), (qd_key_delete(), .delete), (qd_key_back_tab(), .backTab),
        (qd_key_function(1), .function(1)), (qd_key_function(5), .function(5)),
        (qd_key_function(12), .function(12)),
    ]

    @Test(arguments: keyCodes)
    func keyCodesMapToKeys(code: Int32, key: Key) {
        #expect(InputDecoding.decode(UInt32(code), isKeyCode: true) == .key(key))
    }

    /// (character code, expected key) for codes `wget_wch` reports with `OK`.
    static let characters: [(UInt32, Key)] = [
        (13, .enter), (10, .enter), (27, .escape), (9, .tab), (127, .backspace), (8, .backspace),
        (1, .control("a")), (3, .control("c")), (19, .control("s")), (26, .control("z")),
        (32, .character(" ")), (0x71, .character("q")), (0x51, .character("Q")),
        (0x2B, .character("+")), (0xE9, .character("é")), (0x2588, .character("█")),
    ]

    @Test(arguments: characters)
    func charactersMapToKeys(code: UInt32, key: Key) {
        #expect(InputDecoding.decode(code, isKeyCode: false) == .key(key))
    }

    @Test func resizeAndMouseNeedTheBackend() {
        #expect(InputDecoding.decode(UInt32(qd_key_resize()), isKeyCode: true) == .resize)
        #expect(InputDecoding.decode(UInt32(qd_key_mouse()), isKeyCode: true) == .mouse)
    }

    @Test(arguments: [0, 28, 29, 30, 31, 0x85, 0x9F, 0xD800, 0x11_0000] as [UInt32])
    func unprintableCharactersAreIgnored(code: UInt32) {
        #expect(InputDecoding.decode(code, isKeyCode: false) == nil)
    }

    @Test func unknownKeyCodesAreIgnored() {
        let insert: UInt32 = 0o513  // KEY_IC
        #expect(InputDecoding.decode(insert, isKeyCode: true) == nil)
        #expect(InputDecoding.decode(UInt32(qd_key_function(13)), isKeyCode: true) == nil)
        #expect(InputDecoding.decode(0xFFFF_FFFF, isKeyCode: true) == nil)
    }

    @Test func mouseButtonStates() {
        #expect(
            InputDecoding.mouseEvent(buttonState: qd_button1_pressed(), column: 4, row: 2)
                == MouseEvent(kind: .press, column: 4, row: 2))
        #expect(
            InputDecoding.mouseEvent(buttonState: qd_button1_clicked(), column: 0, row: 0)?.kind
                == .press)
        #expect(
            InputDecoding.mouseEvent(buttonState: qd_button4_pressed(), column: 7, row: 9)
                == MouseEvent(kind: .scrollUp, column: 7, row: 9))
        #expect(
            InputDecoding.mouseEvent(buttonState: qd_button5_pressed(), column: 7, row: 9)?.kind
                == .scrollDown)
        #expect(InputDecoding.mouseEvent(buttonState: 0, column: 1, row: 1) == nil)
        #expect(InputDecoding.mouseEvent(buttonState: qd_button1_pressed(), column: -1, row: 0) == nil)
    }

    @Test func mouseMaskCoversPressAndWheel() {
        let mask = InputDecoding.mouseMask
        #expect(mask & qd_button1_pressed() != 0)
        #expect(mask & qd_button4_pressed() != 0)
        #expect(mask & qd_button5_pressed() != 0)
    }
}

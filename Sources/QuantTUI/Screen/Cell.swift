/// The eight ANSI colours plus the terminal's default; what every terminal can show.
public enum Color: Int, Sendable, Equatable, Hashable, CaseIterable {
    /// The terminal's own foreground or background.
    case `default` = -1
    /// ANSI black.
    case black = 0
    /// ANSI red.
    case red
    /// ANSI green.
    case green
    /// ANSI yellow.
    case yellow
    /// ANSI blue.
    case blue
    /// ANSI magenta.
    case magenta
    /// ANSI cyan.
    case cyan
    /// ANSI white.
    case white
}

/// Text attributes of a cell.
public struct TextStyle: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: UInt8
    /// Creates a style from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bold (often brighter).
    public static let bold = TextStyle(rawValue: 1 << 0)
    /// Dim.
    public static let dim = TextStyle(rawValue: 1 << 1)
    /// Foreground and background swapped: the selection highlight that works without colour.
    public static let reverse = TextStyle(rawValue: 1 << 2)
    /// Underlined.
    public static let underline = TextStyle(rawValue: 1 << 3)
}

/// Colours and attributes applied to text.
public struct Style: Sendable, Equatable, Hashable {
    /// Foreground colour.
    public var foreground: Color
    /// Background colour.
    public var background: Color
    /// Attributes.
    public var attributes: TextStyle

    /// Creates a style; everything defaults to the terminal's plain text.
    public init(foreground: Color = .default, background: Color = .default, attributes: TextStyle = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// Plain text.
    public static let plain = Style()
    /// Bold plain text.
    public static let bold = Style(attributes: .bold)
    /// Reversed plain text (selection).
    public static let reverse = Style(attributes: .reverse)
    /// Dim plain text.
    public static let dim = Style(attributes: .dim)

    /// This style with `attributes` added.
    public func adding(_ attributes: TextStyle) -> Style {
        var copy = self
        copy.attributes.formUnion(attributes)
        return copy
    }
}

/// One character cell of the screen: a single-column grapheme and its style.
public struct Cell: Sendable, Equatable, Hashable {
    /// The grapheme shown (exactly one terminal column wide; a space when blank).
    public var symbol: Character
    /// How it is drawn.
    public var style: Style

    /// Creates a cell.
    public init(_ symbol: Character = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }

    /// A blank, unstyled cell.
    public static let blank = Cell()
}

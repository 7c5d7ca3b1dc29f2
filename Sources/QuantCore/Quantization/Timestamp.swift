import Foundation

/// ISO 8601 timestamps as plan provenance and session files store them, to the millisecond.
///
/// | `Date` (seconds since 1970) | written as                  |
/// | --------------------------- | --------------------------- |
/// | 1795000000                  | `2026-11-18T11:06:40Z`      |
/// | 1795000000.25               | `2026-11-18T11:06:40.250Z`  |
///
/// Output is always UTC (`Z`), with a fraction only when the time is not a whole second.
/// Input may carry an offset (`+01:00`) and 1–9 fraction digits; digits past the millisecond
/// are dropped. A date passed through `rounded(_:)` survives writing and reading exactly.
public enum Timestamp {
    /// `date` rounded to the millisecond, the precision files keep.
    public static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    /// The current time, rounded to the millisecond.
    public static func now() -> Date { rounded(Date()) }

    /// The ISO 8601 text for `date`, e.g. `2026-11-18T11:06:40Z`.
    public static func string(from date: Date) -> String {
        let total = milliseconds(date)
        let (seconds, fraction) = floorDivide(total, 1000)
        let whole = formatter().string(from: Date(timeIntervalSince1970: Double(seconds)))
        guard fraction != 0, whole.hasSuffix("Z") else { return whole }
        let digits = String(fraction + 1000).dropFirst()
        return whole.dropLast() + "." + digits + "Z"
    }

    /// The date written as `text`, or nil when it is not an ISO 8601 date and time.
    public static func date(from text: String) -> Date? {
        var remainder = Substring(text)
        var fractionMilliseconds: Int64 = 0
        if let dot = text.firstIndex(of: "."), let timeMark = text.firstIndex(of: "T"), dot > timeMark {
            let digits = text[text.index(after: dot)...].prefix(while: \.isASCIIDigit)
            guard (1...9).contains(digits.count) else { return nil }
            let padded = (digits + "00").prefix(3)
            fractionMilliseconds = Int64(padded) ?? 0
            remainder = text[..<dot] + text[digits.endIndex...]
        }
        guard let whole = formatter().date(from: String(remainder)) else { return nil }
        let seconds = Int64(whole.timeIntervalSince1970.rounded())
        return Date(timeIntervalSince1970: Double(seconds * 1000 + fractionMilliseconds) / 1000)
    }

    /// Milliseconds since 1970, rounded to nearest.
    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Quotient and non-negative remainder.
    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = ((value % divisor) + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }

    /// A formatter for whole-second UTC timestamps (made per call: formatters are not `Sendable`).
    private static func formatter() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        return formatter
    }
}

extension Character {
    /// Whether the character is one of `0`…`9`.
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

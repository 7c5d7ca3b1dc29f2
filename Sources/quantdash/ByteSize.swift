import ArgumentParser
import Foundation
import QuantCore

/// A size in bytes typed as `1500000`, `512K`, `512M`, `1.5G` (powers of 1024; `KiB`, `MB`, … also read).
struct ByteSize: ExpressibleByArgument, Equatable {
    /// The bytes.
    var bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
    }

    init?(argument: String) {
        var text = argument.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count {
            text.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = [
            "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024,
        ]
        var factor = 1.0
        if let last = text.last, let unit = units[last] {
            factor = unit
            text.removeLast()
        }
        guard let value = Double(text), value >= 0, value.isFinite, value * factor < Double(Int.max / 2) else {
            return nil
        }
        bytes = Int((value * factor).rounded())
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension ByteSize {
    /// `0`, `512 MiB`, `3.0 GiB`: how help shows a default.
    var defaultValueDescription: String {
        bytes == 0 ? "0" : Formatting.bytes(bytes)
    }
}

import Foundation

@testable import QuantCore

/// Small presets and dates shared by the session tests.
enum SessionTestPresets {
    /// 2026-11-18T11:06:40Z.
    static let baseDate = Date(timeIntervalSince1970: 1_795_000_000)

    /// `baseDate` plus `seconds`.
    static func date(_ seconds: Double) -> Date { baseDate.addingTimeInterval(seconds) }

    /// A digest made of one repeated hex digit.
    static func sha(_ digit: Character) -> String { String(repeating: digit, count: 64) }

    /// A preset for the demo MLP with an 8-bit default and a 4-bit `fc1`.
    static func small(
        name: String = "mlp-4bit", updatedAt: Date = date(60), basedOn: String? = nil, top1: Double = 0.951
    ) -> SessionPreset {
        SessionPreset(
            name: name,
            model: FileReference(path: "demo-mlp", sha256: sha("a")),
            data: FileReference(path: "demo", sha256: sha("b")),
            plan: QuantPlan(defaults: LayerSettings(bitWidth: 8), layers: ["fc1": LayerSettings(bitWidth: 4)]),
            notes: "fc1 tolerates 4 bits",
            results: PlanResults(
                top1: top1, top5: 0.995, meanNLL: 0.25, agreement: 0.98, count: 1000, isExact: true,
                sizeBytes: 150_000, floatBytes: 940_584, compressionRatio: 6.25),
            createdAt: baseDate, updatedAt: updatedAt, basedOn: basedOn,
            view: SessionPreset.ViewState(selectedLayer: "fc1"))
    }
}

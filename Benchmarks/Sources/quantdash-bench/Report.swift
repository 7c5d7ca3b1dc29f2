import Foundation

/// Ours next to the peers: a Markdown table of medians, ratios and targets, and JSON.
struct Report {
    var ours: [Measurement]
    var peers: PeerResults?
    var threads: Int
    var gemmVariant: String

    /// One table row.
    private struct Row {
        var benchmark: String
        var subject: String
        var variant: String
        var ours: String
        var onnxruntime: String = "—"
        var pytorch: String = "—"
        var comparison: String = "—"
        var target: String = "—"
        var isMet: Bool?
    }

    private static func milliseconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return value >= 100 ? String(format: "%.0f ms", value) : String(format: "%.2f ms", value)
    }

    private static func value(_ measurement: Measurement) -> String {
        switch measurement.unit {
        case "ms": milliseconds(measurement.median)
        case "MiB": String(format: "%.1f MiB", measurement.median)
        default: String(format: "%.0f %@", measurement.median, measurement.unit)
        }
    }

    private func rows() -> [Row] {
        ours.map { measurement in
            var row = Row(
                benchmark: measurement.benchmark, subject: measurement.subject, variant: measurement.variant,
                ours: Report.value(measurement))
            if let target = measurement.target {
                row.target =
                    "≤ "
                    + (measurement.unit == "ms" ? Report.milliseconds(target) : "\(Int(target)) \(measurement.unit)")
                row.isMet = measurement.median <= target
            }
            switch measurement.benchmark {
            case "full-float-pass", "resnet18-float-pass":
                let model = measurement.benchmark == "full-float-pass" ? measurement.subject : "resnet18-synthetic"
                // Each peer at its fastest batching (batch-1000 or batch-250; ResNet: batch-32).
                let batches = measurement.benchmark == "full-float-pass" ? ["batch-1000", "batch-250"] : ["batch-32"]
                func best(_ peer: String) -> Double? {
                    batches.compactMap { peers?.median(measurement.benchmark, model: model, peer: peer, variant: $0) }
                        .min()
                }
                let ort = best("onnxruntime"), torch = best("pytorch")
                row.onnxruntime = Report.milliseconds(ort)
                row.pytorch = Report.milliseconds(torch)
                if let ort {
                    let ratio = measurement.median / ort
                    row.comparison = String(format: "%.2f× onnxruntime's time", ratio)
                    if measurement.benchmark == "full-float-pass" {
                        row.target = "≤ 1.5× onnxruntime"
                        row.isMet = ratio <= 1.5
                    }
                }
            case "per-change":
                let variant = measurement.variant == "all layers" ? "all-layers" : "layer:\(measurement.variant)"
                let ort = peers?.median("per-change", model: measurement.subject, peer: "onnxruntime", variant: variant)
                let torch = peers?.median("per-change", model: measurement.subject, peer: "pytorch", variant: variant)
                row.onnxruntime = Report.milliseconds(ort)
                row.pytorch = Report.milliseconds(torch)
                var parts: [String] = []
                func versus(_ peer: Double, _ name: String) -> String {
                    let ratio = peer / measurement.median
                    return ratio >= 1
                        ? String(format: "%.1f× faster than %@", ratio, name)
                        : String(format: "%.1f× slower than %@", 1 / ratio, name)
                }
                if let torch { parts.append(versus(torch, "PyTorch")) }
                if let ort { parts.append(versus(ort, "onnxruntime")) }
                if !parts.isEmpty { row.comparison = parts.joined(separator: ", ") }
            default:
                if let bytes = measurement.detail["bytes"] { row.comparison = "\(bytes) bytes written" }
                if let full = measurement.detail["full frame bytes"] { row.comparison = "full frame: \(full) bytes" }
                if let slowest = measurement.detail["slowest"] { row.comparison = "slowest: \(slowest)" }
                if let stale = measurement.detail["stale plan finished"] {
                    row.comparison = "stale plan finished: \(stale)"
                }
                if let parameters = measurement.detail["parameters"] {
                    row.comparison = "\(measurement.detail["layers"] ?? "?") layers, \(parameters) parameters"
                }
            }
            return row
        }
    }

    /// The table plus the machine line and the per-change accuracy cross-check.
    func markdown() -> String {
        var lines: [String] = []
        if let machine = peers?.machine {
            let cpu = machine["cpu_model"]?.description ?? "?"
            let nproc = machine["nproc"]?.description ?? "?"
            let load = [machine["loadavg_start"], machine["loadavg_end"]].map { $0?.description ?? "?" }
            lines.append(
                "Machine: \(cpu), nproc \(nproc); \(threads) threads for every system; GEMM kernel \(gemmVariant); "
                    + "onnxruntime \(machine["onnxruntime"]?.description ?? "?"), "
                    + "PyTorch \(machine["torch"]?.description ?? "?"); load average (1, 5, 15 min) "
                    + "\(load[0]) at the peers' start, \(load[1]) at their end.")
        } else {
            lines.append("Peers not run (`--no-peers`). \(threads) threads; GEMM kernel \(gemmVariant).")
        }
        lines.append("")
        lines.append(
            "| benchmark | subject | variant | quantdash | onnxruntime | PyTorch | comparison | target | met |")
        lines.append("|---|---|---|---:|---:|---:|---|---|---|")
        for row in rows() {
            let met = row.isMet.map { $0 ? "yes" : "**no**" } ?? "—"
            lines.append(
                "| \(row.benchmark) | \(row.subject) | \(row.variant) | \(row.ours) | \(row.onnxruntime) | "
                    + "\(row.pytorch) | \(row.comparison) | \(row.target) | \(met) |")
        }
        lines.append("")
        lines.append(crossCheck())
        return lines.joined(separator: "\n")
    }

    /// Whether our per-change top-1 equals the peers' for every (layer, bits).
    func crossCheck() -> String {
        guard let expected = peers?.per_change_correct else {
            return "Per-change accuracy: no peer figures to compare."
        }
        var compared = 0
        var mismatches: [String] = []
        for measurement in ours where measurement.benchmark == "per-change" && measurement.variant != "all layers" {
            let pairs = (measurement.detail["correct by bits"] ?? "").split(separator: " ")
            for pair in pairs {
                let parts = pair.split(separator: ":")
                guard parts.count == 2, let correct = Int(parts[1]) else { continue }
                let bits = String(parts[0].dropLast())
                for (peer, layers) in expected[measurement.subject] ?? [:] {
                    guard let theirs = layers[measurement.variant]?[bits] else { continue }
                    compared += 1
                    if theirs != correct {
                        mismatches.append(
                            "\(measurement.subject) \(measurement.variant) \(bits) bits: \(correct) vs \(peer) \(theirs)"
                        )
                    }
                }
            }
        }
        if compared == 0 { return "Per-change accuracy: not compared (no per-change figures on both sides)." }
        if mismatches.isEmpty {
            return "Per-change accuracy: quantdash's correct count equals the peers' in all \(compared) "
                + "(model, layer, bits, peer) comparisons."
        }
        return "Per-change accuracy: \(mismatches.count) of \(compared) comparisons differ: "
            + mismatches.joined(separator: "; ")
    }

    /// Targets not met, one phrase each.
    func missedTargets() -> [String] {
        rows().filter { $0.isMet == false }.map {
            "\($0.benchmark) \($0.subject) \($0.variant): \($0.ours) (\($0.target))"
        }
    }

    /// Every measurement of ours, and the peers' raw results, as JSON.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(["quantdash": ours])
    }
}

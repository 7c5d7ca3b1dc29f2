import ArgumentParser
import Foundation
import QuantCore

extension ModelDataOptions {
    /// Refuses options that would be silently ignored for the chosen `--data` (issue 16.14):
    /// `--labels` except with .npy or IDX data (and a labels file that does not exist),
    /// `--x-name`/`--y-name` except with .npz, `--label-column`/`--csv-header` except with .csv,
    /// `--scale`/`--mean`/`--std` with the (already scaled) demo data and no `--calibration`
    /// file, and a `--std` of 0 always.
    func checkApplicability() throws {
        if let std, try parseValueList(std, option: "--std").contains(0) {
            throw ValidationError("--std \(std): a standard deviation of 0 would divide by zero")
        }
        let format: DataFileFormat?
        if data == "demo" {
            format = nil
        } else {
            format = try? DataFileFormat(path: data)
            if format == nil { return }  // the loader names the unknown extension
        }
        let on = data == "demo" ? "the demo data" : "--data \(Printable.name(data))"
        func refuse(_ option: String, _ appliesTo: String) throws -> Never {
            throw ValidationError("\(option) does not apply to \(on) (only to \(appliesTo))")
        }
        if let labels {
            guard format == .npy || format == .idx else { try refuse("--labels", ".npy or IDX --data") }
            guard FileManager.default.fileExists(atPath: labels) else {
                throw ValidationError("--labels \(Printable.name(labels)): no such file")
            }
        }
        if format != .npz {
            if imagesName != "x" { try refuse("--x-name", ".npz --data") }
            if labelsName != "y" { try refuse("--y-name", ".npz --data") }
        }
        if format != .csv {
            if labelColumn != "first" { try refuse("--label-column", ".csv --data") }
            if csvHeader { try refuse("--csv-header", ".csv --data") }
        }
        if format == nil, calibration == nil {
            for (option, value) in [("--scale", scale), ("--mean", mean), ("--std", std)] where value != nil {
                try refuse(option, "--data or --calibration files; the demo digits are already scaled to 0…1")
            }
        }
    }
}

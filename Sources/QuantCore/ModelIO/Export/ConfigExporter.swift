import Foundation

/// The `config` export: the plan with every layer explicit plus a `"provenance"` object naming
/// the model and data (with SHA-256) and the results the plan produced on them.
///
/// The file is a valid plan file, so a colleague re-runs it with `quantdash eval --plan FILE`
/// and gets the same numbers: provenance is read and ignored when applying the plan.
/// ```
/// { "default": {…}, "layers": { "fc1": { "bits": 4 }, "fc2": {}, "fc3": {} },
///   "provenance": { "exportedAt": "…", "model": {…}, "data": {…}, "results": {…} },
///   "version": 1 }
/// ```
public enum ConfigExporter {
    /// The config for `plan` applied to a model with `layers`: the normalized plan (one entry per
    /// layer, entries for unknown layers dropped) with provenance.
    public static func config(
        for plan: QuantPlan, layers: [Layer], model: FileReference, data: FileReference, results: PlanResults,
        calibrationCount: Int?, exportedAt: Date
    ) -> QuantPlan {
        var config = plan.normalized(for: layers)
        config.provenance = PlanProvenance(
            exportedAt: Timestamp.rounded(exportedAt), model: model, data: data, calibrationCount: calibrationCount,
            results: results)
        return config
    }

    /// Applies `plan` with `workbench`, evaluates it on the whole held-out set, and writes the
    /// config to `url`; returns the config written.
    ///
    /// - Parameters:
    ///   - model: the model file the workbench was loaded from.
    ///   - data: the held-out data the workbench evaluates on.
    ///   - overwrite: replace an existing file at `url`.
    /// - Throws: `ModelIOError.exists` (checked before evaluating) or `.writeFailed`; `PlanError`
    ///   for a plan that does not fit the model; errors of `Workbench.apply` and `evaluate`.
    @discardableResult
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, model: FileReference, data: FileReference, to url: URL,
        overwrite: Bool = false, exportedAt: Date = Date()
    ) throws -> QuantPlan {
        try checkDestination(url, overwrite: overwrite)
        let quantized = try workbench.apply(plan)
        let evaluation = try workbench.evaluate(quantized)
        let config = config(
            for: plan, layers: workbench.layers, model: model, data: data,
            results: PlanResults(evaluation: evaluation, model: quantized),
            calibrationCount: workbench.calibration?.count, exportedAt: exportedAt)
        try write(config, to: url, overwrite: overwrite)
        return config
    }

    /// Writes `config` to `url` atomically.
    ///
    /// - Throws: `ModelIOError.exists` when `url` exists and `overwrite` is false,
    ///   `ModelIOError.writeFailed` otherwise; an existing file is untouched after either.
    public static func write(_ config: QuantPlan, to url: URL, overwrite: Bool) throws {
        try checkDestination(url, overwrite: overwrite)
        let data: Data
        do {
            data = try config.encoded()
        } catch let error as PlanError {
            throw ModelIOError.writeFailed(path: url.relativePath, reason: error.description)
        }
        do {
            try AtomicFile.write(data, to: url)
        } catch let ModelIOError.writeFailed(_, reason) {
            throw ModelIOError.writeFailed(path: url.relativePath, reason: reason)
        }
    }

    /// Throws `ModelIOError.exists` when `url` exists and `overwrite` is false.
    private static func checkDestination(_ url: URL, overwrite: Bool) throws {
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
    }
}

import Foundation

/// How `DatasetLoader` reads a data file and prepares its values.
public struct DatasetLoadOptions: Sendable, Equatable {
    /// The labels file for `.npy` and IDX images (`.npy` or IDX, integer values, shape `[N]`).
    public var labelsPath: String?
    /// The images array in an `.npz` archive.
    public var imagesName = "x"
    /// The labels array in an `.npz` archive.
    public var labelsName = "y"
    /// Every stored value is divided by it; `nil` means 255 for uint8 data and 1 for anything
    /// else (floats are taken as already scaled; CSV text counts as not uint8).
    public var scaleDivisor: Float?
    /// Subtracted after scaling: one value for all, or one per channel (axis 1 of `[N, C, ...]`).
    public var mean: [Float] = []
    /// Divides after subtracting `mean`: one value for all, or one per channel.
    public var std: [Float] = []
    /// Read only the first this many samples (the result then counts as the whole set).
    public var limit: Int?
    /// Which CSV column holds the label.
    public var labelColumn: CSVLabelColumn = .first
    /// Whether a CSV file starts with a header row; `nil` detects it.
    public var csvHasHeader: Bool?
    /// The number of classes (e.g. the model's output width); `nil` means the largest label + 1.
    public var classCount: Int?
    /// When `false`, a file without labels loads with every label 0 and `hasLabels` false
    /// (calibration needs none; evaluation then reports fidelity to the float model).
    public var requiresLabels = true
    /// The model's first input: read from a `.npz` archive under this name when it holds no
    /// `imagesName` array (left at `x`), e.g. `input_ids`.
    public var mainInputName: String?
    /// The model's other inputs, read by name from a `.npz` archive when it holds them (e.g.
    /// `attention_mask`); integer arrays become exact floats, as the executor holds integer tensors.
    public var otherInputNames: [String] = []
    /// `.npy` images with at least this many values are read a batch at a time instead of
    /// loaded whole (default 16 M values: 64 MiB as float32, about 100 ImageNet images).
    public var streamingThreshold = 16 << 20

    /// Options with every default: `x`/`y`, automatic scale, no normalization, no limit.
    public init() {}
}

/// The data file formats read, chosen by file name.
public enum DataFileFormat: String, Sendable, CaseIterable {
    /// A NumPy `.npy` array (labels in a separate file).
    case npy
    /// A NumPy `.npz` archive holding images and labels arrays.
    case npz
    /// Comma-separated values, one sample per line with its label.
    case csv
    /// IDX (`.idx`, `.idx3-ubyte`, `-ubyte`, each optionally `.gz`), labels in a separate file.
    case idx

    /// The format of `path` from its extension.
    ///
    /// - Throws: `ModelIOError.malformed` for an extension not listed above.
    public init(path: String) throws {
        var name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }  // only IDX is read compressed
        let ext = URL(fileURLWithPath: name).pathExtension.lowercased()
        let isCompressed = name != URL(fileURLWithPath: path).lastPathComponent.lowercased()
        switch ext {
        case "npy" where !isCompressed: self = .npy
        case "npz" where !isCompressed: self = .npz
        case "csv" where !isCompressed: self = .csv
        default:
            guard ext.hasPrefix("idx") || name.hasSuffix("-ubyte") else {
                let shown = isCompressed ? "\(ext).gz" : ext
                throw ModelIOError.malformed(
                    path: path,
                    detail: "unknown data format '.\(shown)' (expected .npy, .npz, .csv, .idx or *-ubyte, IDX also .gz)"
                )
            }
            self = .idx
        }
    }
}

/// Loads a labelled data set from `.npy`, `.npz`, `.csv` or IDX files.
public enum DatasetLoader {
    /// Reads `path` (format by extension) into a data set named by the path.
    ///
    /// Images keep their stored shape `[N, ...]`; the workbench reshapes them to the model input
    /// when the element count matches. Values become `(stored / scaleDivisor − mean) / std`.
    ///
    /// Files with no samples, and values that are NaN or infinite as `Float` (a float64 beyond
    /// ±3.4e38 included) or become so through scaling and normalization, are refused with the
    /// first offending flat index.
    ///
    /// - Throws: `ModelIOError` naming the file and field, line or byte at fault;
    ///   `EvaluationError` when images and labels do not fit together.
    public static func load(path: String, options: DatasetLoadOptions = .init()) throws -> Dataset {
        var options = options
        if options.imagesName == "x", let main = options.mainInputName, try DataFileFormat(path: path) == .npz,
            try !NumPyArchive(contentsOf: URL(fileURLWithPath: path)).arrayNames.contains("x")
        {
            options.imagesName = main
        }
        let raw = try RawData.read(path: path, options: options)
        guard raw.rowCount > 0 else {
            throw ModelIOError.malformed(
                path: path, detail: "holds no samples (shape \(EvaluationError.format(raw.shape)))")
        }
        var rows = raw.rowCount
        if let limit = options.limit { rows = min(rows, max(limit, 0)) }
        let sampleShape = Array(raw.shape.dropFirst())
        let transform = try SampleTransform(
            options: options, shape: [rows] + sampleShape, isUInt8: raw.isUInt8, path: path)
        let labels = raw.labels.map { Array($0.prefix(rows)) } ?? [Int](repeating: 0, count: rows)
        if let layout = raw.streamable, rows * Tensor.elementCount(of: sampleShape) >= options.streamingThreshold {
            let samples = try StreamedSamples(path: path, layout: layout, rows: rows, transform: transform)
            var dataset = try Dataset(name: path, samples: samples, labels: labels, classCount: options.classCount)
            dataset.hasLabels = raw.labels != nil
            return dataset
        }
        let perSample = Tensor.elementCount(of: sampleShape)
        var values = try raw.values(0..<rows * perSample)
        try transform.applyChecked(to: &values, base: 0, perSample: perSample, path: path)
        var dataset = try Dataset(
            name: path, images: Tensor(shape: [rows] + sampleShape, storage: values), labels: labels,
            classCount: options.classCount)
        dataset.hasLabels = raw.labels != nil
        if !options.otherInputNames.isEmpty, try DataFileFormat(path: path) == .npz {
            try dataset.setExtraInputs(otherInputs(path: path, options: options, rows: rows))
        }
        return dataset
    }

    /// The arrays of `options.otherInputNames` in the `.npz` archive at `path`, first `rows` rows.
    ///
    /// - Throws: `ModelIOError` naming the file and the array that has the wrong number of rows
    ///   or holds a value that is not finite.
    static func otherInputs(path: String, options: DatasetLoadOptions, rows: Int) throws -> [String: Tensor] {
        let archive = try NumPyArchive(contentsOf: URL(fileURLWithPath: path))
        var inputs: [String: Tensor] = [:]
        for name in options.otherInputNames {
            // An input the archive lacks is left out: a run that needs it names it.
            guard archive.arrayNames.contains(name) else { continue }
            let array = try archive.array(named: name, rowLimit: options.limit)
            guard array.shape.first == rows else {
                throw ModelIOError.incompatible(
                    path: "\(path) (\(name))",
                    detail: "has shape \(NumPyHeader.format(array.shape)); it needs \(rows) rows like the samples")
            }
            let shape = [rows] + array.shape.dropFirst()
            let values = array.floatValues(in: 0..<Tensor.elementCount(of: shape))
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw ModelIOError.malformed(
                    path: "\(path) (\(name))", detail: "value at index \(index) is not a finite number")
            }
            inputs[name] = Tensor(shape: shape, storage: values)
        }
        return inputs
    }
}

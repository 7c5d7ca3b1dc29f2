import Foundation

extension DatasetLoader {
    /// A data file as stored: values not yet scaled, labels if any.
    struct RawData {
        /// The images' shape `[N, ...]`.
        var shape: [Int]
        /// Whether the stored values are uint8 (the default scale then is 1/255).
        var isUInt8: Bool
        /// Converts the values at these C-order indices to `Float`.
        var values: (Range<Int>) throws -> [Float]
        /// One label per row, or `nil` when the file has none (allowed only for calibration).
        var labels: [Int]?
        /// For a `.npy` file: where its values are, so large files can be read batch by batch
        /// (`values` reads only the values asked for).
        var streamable: NumPyArray.Layout?

        /// The number of samples.
        var rowCount: Int { shape.first ?? 0 }

        /// Reads `path` according to its extension.
        static func read(path: String, options: DatasetLoadOptions) throws -> RawData {
            let format = try DataFileFormat(path: path)
            var raw: RawData
            switch format {
            case .npy:
                // Only the header and the rows --limit keeps are read (the file may end after them).
                let layout = try NumPyArray.Layout.read(path: path, rowLimit: options.limit)
                guard layout.shape.count >= 2 else {
                    throw imagesRankError(layout.shape, path: path)
                }
                let rows = min(layout.shape[0], max(options.limit ?? layout.shape[0], 0))
                raw = RawData(
                    shape: [rows] + layout.shape.dropFirst(), isUInt8: layout.elementType == .uint8,
                    values: { range in try layout.values(path: path, elements: range).floatValues() },
                    labels: nil, streamable: layout)
                if let labelsPath = options.labelsPath {
                    raw.labels = try labels(at: labelsPath, rowLimit: options.limit)
                }
            case .npz:
                let archive = try NumPyArchive(contentsOf: URL(fileURLWithPath: path))
                // Only the rows --limit keeps are inflated (a small archive can declare gigabytes).
                raw = try images(archive.array(named: options.imagesName, rowLimit: options.limit), path: path)
                if options.requiresLabels || archive.arrayNames.contains(options.labelsName) {
                    raw.labels = try integerLabels(
                        archive.array(named: options.labelsName, rowLimit: options.limit),
                        path: "\(path) (\(options.labelsName))")
                }
            case .csv:
                // With --limit only the lines up to the last row kept are read.
                let text = try CSVDataset.text(ofFileAt: path, rowLimit: options.limit)
                let table = try CSVDataset.parse(
                    text, path: path, labelColumn: options.labelColumn, hasHeader: options.csvHasHeader,
                    limit: options.limit)
                raw = RawData(
                    shape: [table.labels.count, table.featureCount], isUInt8: false,
                    values: { Array(table.values[$0]) }, labels: table.labels)
            case .idx:
                let file = try IDXFile.read(from: URL(fileURLWithPath: path), rowLimit: options.limit)
                guard file.shape.count >= 2 else {
                    throw ModelIOError.incompatible(
                        path: path, detail: "has shape \(EvaluationError.format(file.shape)); images need [N, ...]")
                }
                let values = file.floatValues()
                raw = RawData(
                    shape: file.shape, isUInt8: file.elementType == .uint8, values: { Array(values[$0]) }, labels: nil)
                // The images stop at --limit rows, so the labels do too.
                if let labelsPath = options.labelsPath {
                    raw.labels = try labels(at: labelsPath, rowLimit: options.limit)
                }
            }
            if raw.labels == nil, options.requiresLabels {
                throw ModelIOError.incompatible(
                    path: path, detail: "has no labels; give the labels file (--labels LABELS.npy or .idx)")
            }
            if let labels = raw.labels, labels.count != raw.rowCount {
                throw ModelIOError.incompatible(
                    path: options.labelsPath ?? path,
                    detail: "holds \(labels.count) labels but the images number \(raw.rowCount)")
            }
            return raw
        }

        /// Images from a NumPy array of rank ≥ 2.
        static func images(_ array: NumPyArray, path: String) throws -> RawData {
            guard array.shape.count >= 2 else { throw imagesRankError(array.shape, path: path) }
            return RawData(
                shape: array.shape, isUInt8: array.elementType == .uint8, values: { array.floatValues(in: $0) },
                labels: nil)
        }

        /// The error for images of rank below 2.
        static func imagesRankError(_ shape: [Int], path: String) -> ModelIOError {
            .incompatible(
                path: path,
                detail: "images have shape \(NumPyHeader.format(shape)); they need [N, ...] with at least 2 axes")
        }

        /// Labels from a separate `.npy` or IDX file.
        static func labels(at path: String, rowLimit: Int? = nil) throws -> [Int] {
            if try DataFileFormat(path: path) == .npy {
                return try integerLabels(
                    NumPyArray.read(from: URL(fileURLWithPath: path), rowLimit: rowLimit), path: path)
            }
            let file = try IDXFile.read(from: URL(fileURLWithPath: path), rowLimit: rowLimit)
            guard file.shape.count == 1, let values = file.integerValues() else {
                throw ModelIOError.incompatible(path: path, detail: "labels need integer values of shape [N]")
            }
            return values
        }

        /// Integer labels of shape `[N]` or `[N, 1]`, each non-negative.
        static func integerLabels(_ array: NumPyArray, path: String) throws -> [Int] {
            guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
                throw ModelIOError.incompatible(
                    path: path, detail: "labels have shape \(NumPyHeader.format(array.shape)); they need (N,)")
            }
            guard let values = array.integerValues() else {
                throw ModelIOError.incompatible(
                    path: path,
                    detail: "labels are \(array.elementType); they must be integers (uint8, int32, int64, …)")
            }
            if let index = values.firstIndex(where: { $0 < 0 }) {
                throw ModelIOError.malformed(path: path, detail: "label \(values[index]) at index \(index) is negative")
            }
            return values
        }
    }
}

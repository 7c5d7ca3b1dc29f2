import Foundation

/// The result of a sensitivity analysis, as `quantdash sensitivity --json` writes it: per layer,
/// top-1 and agreement with float with only this layer at each menu option, and with every other
/// layer at the current plan and this one float. Every Δ is against the float model on the same
/// samples, with its paired 95 % interval (`PairedDifference`).
///
/// A table may cover some layers only (`shard`); `merged(_:)` combines shards of one analysis.
public struct SensitivityTable: Sendable, Equatable, Codable {
    /// The file format version this build reads and writes.
    public static let formatVersion = 1

    /// One model's figures on the analysed samples.
    public struct Figure: Sendable, Equatable, Codable {
        /// Top-1 as a fraction.
        public var top1: Double
        /// Samples predicted correctly.
        public var correctCount: Int
        /// Share of predictions equal to the float model's.
        public var agreement: Double
        /// The model's stored size in bytes (whole model).
        public var bytes: Int
        /// Against the float model on the same samples.
        public var versusFloat: PairedDifference
        /// `versusFloat.delta` in points (−1.5 is a drop of 1.5 points).
        public var deltaPoints: Double
        /// `versusFloat.interval` in points.
        public var interval95Points: [Double]

        /// The figure of `evaluation` against float flags `floatCorrect`.
        public init(_ evaluation: PlanEvaluation, floatCorrect: [Bool]) {
            top1 = evaluation.top1
            correctCount = evaluation.correctCount
            agreement = evaluation.agreement
            bytes = evaluation.bytes
            versusFloat = PairedDifference(baseline: floatCorrect, candidate: evaluation.correct)
            deltaPoints = versusFloat.delta * 100
            interval95Points = [versusFloat.interval.lowerBound * 100, versusFloat.interval.upperBound * 100]
        }
    }

    /// One option of one layer, everything else float.
    public struct Entry: Sendable, Equatable, Codable {
        /// The option.
        public var option: TuningOption
        /// The settings it gave the layer, as the layer table labels them (`4-bit symmetric channel`).
        public var settings: String
        /// The layer's stored bytes (weights, parameters and bias) with this option.
        public var layerBytes: Int
        /// RMSE/scale of the layer's weights with this option (`LayerHealth`), when affine.
        public var rmseOverScale: Double?
        /// The model with only this layer changed.
        public var figure: Figure
    }

    /// One layer's results.
    public struct Row: Sendable, Equatable, Codable {
        /// The layer's name.
        public var name: String
        /// Its weight and bias parameters.
        public var parameters: Int
        /// Its stored bytes as float32.
        public var floatBytes: Int
        /// RMSE/scale at the current plan's settings (`nil` when float or not affine).
        public var rmseOverScale: Double?
        /// `rmseOverScale` above `LayerHealth.suspectAbove`.
        public var isSuspect: Bool
        /// Only this layer at each menu option, in menu order.
        public var options: [Entry]
        /// Every other layer at the current plan, this one float.
        public var allButThis: Figure
        /// `allButThis` against the current plan: what quantizing this layer as planned costs
        /// with everything else as planned (positive `gained`/`lost` counts are flips).
        public var allButThisVersusPlan: PairedDifference
    }

    /// Which part of the layers a table covers: layers `i` with `i % count == index − 1`.
    public struct Shard: Sendable, Equatable, Codable {
        /// 1…count.
        public var index: Int
        /// Shards in all.
        public var count: Int

        /// Creates a shard description.
        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// Whether layer number `layer` (graph order, from 0) belongs to this shard.
        public func contains(layer: Int) -> Bool { layer % count == index - 1 }
    }

    /// The format version.
    public var version = SensitivityTable.formatVersion
    /// SHA-256 of the model file.
    public var modelSHA256: String
    /// SHA-256 identifying the analysed samples (file, loading options and split).
    public var dataSHA256: String
    /// Samples analysed.
    public var sampleCount: Int
    /// The options measured per layer.
    public var menu: [TuningOption]
    /// The current plan the "all but this one" figures use.
    public var plan: QuantPlan
    /// The float model.
    public var float: Figure
    /// The current plan.
    public var current: Figure
    /// Every layer of the model, in graph order (also those a shard leaves out).
    public var modelLayers: [String]
    /// The shard this table covers, or `nil` for every layer.
    public var shard: Shard?
    /// The layers analysed, in graph order.
    public var layers: [Row]

    /// The layers of `modelLayers` that have no row.
    public var missingLayers: [String] {
        let present = Set(layers.map(\.name))
        return modelLayers.filter { !present.contains($0) }
    }

    /// The row of layer `name`.
    public func row(_ name: String) -> Row? { layers.first { $0.name == name } }

    /// The table as pretty JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(contentsOf: Array("\n".utf8))
        return data
    }

    /// Reads a table written by `encoded()`.
    ///
    /// - Throws: `TuningError.incompatibleTable` naming `file` for unreadable or malformed files
    ///   and other format versions.
    public static func load(contentsOf url: URL) throws -> SensitivityTable {
        let file = url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TuningError.incompatibleTable(
                file: file, problem: "cannot be read (\(PlanDecoding.readFailureReason(error, url: url)))")
        }
        let table: SensitivityTable
        do {
            table = try JSONDecoder().decode(SensitivityTable.self, from: data)
        } catch {
            throw TuningError.incompatibleTable(
                file: file, problem: "is not a sensitivity table (\(PlanDecoding.oneLine("\(error)")))")
        }
        guard table.version == formatVersion else {
            throw TuningError.incompatibleTable(
                file: file, problem: "is version \(table.version); this build reads version \(formatVersion)")
        }
        return table
    }

    /// Combines shards of one analysis (same model, data, menu and plan) into one table, rows in
    /// graph order; a layer in several shards must have the same results in each.
    ///
    /// - Parameter tables: each table with the file it came from (named in errors).
    /// - Throws: `TuningError.incompatibleTable` naming the first file that does not fit.
    public static func merged(_ tables: [(file: String, table: SensitivityTable)]) throws -> SensitivityTable {
        guard var merged = tables.first?.table else {
            throw TuningError.incompatibleTable(file: "", problem: "nothing to merge")
        }
        let first = tables[0].file
        var rows = Dictionary(merged.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (file, table) in tables.dropFirst() {
            func differs(_ what: String) -> TuningError {
                .incompatibleTable(file: file, problem: "\(what) differs from \(Printable.name(first))'s")
            }
            if table.modelSHA256 != merged.modelSHA256 { throw differs("the model's SHA-256") }
            if table.dataSHA256 != merged.dataSHA256 { throw differs("the data's SHA-256") }
            if table.sampleCount != merged.sampleCount { throw differs("the sample count") }
            if table.menu != merged.menu { throw differs("the menu") }
            if table.plan != merged.plan { throw differs("the current plan") }
            if table.modelLayers != merged.modelLayers { throw differs("the model's layer list") }
            for row in table.layers {
                if let existing = rows[row.name], existing != row {
                    throw TuningError.incompatibleTable(
                        file: file,
                        problem:
                            "layer '\(Printable.name(row.name))' has other results than in \(Printable.name(first))")
                }
                rows[row.name] = row
            }
        }
        merged.layers = merged.modelLayers.compactMap { rows[$0] }
        merged.shard = nil
        return merged
    }
}

import Foundation

/// What the exported model weighs: per layer and in total (computed by `SizeModel`).
public struct SizeReport: Sendable, Equatable, Codable {
    /// How a layer's weights are stored.
    public enum Encoding: String, Sendable, Codable, CaseIterable {
        /// float32 values, one per weight.
        case float
        /// Every code bit-packed.
        case dense
        /// Occupancy bitmap plus the packed non-zero values (pruned layers, when cheaper).
        case sparse
    }

    /// One layer's stored bytes, part by part (see the table in `SizeModel`).
    public struct LayerSize: Sendable, Equatable, Codable {
        /// The layer's name.
        public var name: String
        /// Number of weights (bias excluded).
        public var weightCount: Int
        /// Number of bias values.
        public var biasCount: Int
        /// How the weights are stored.
        public var encoding: Encoding = .float
        /// Bits per stored weight value: the code width, or 32 for float32 values.
        public var valueBitWidth: Int = 32
        /// Packed codes (only the non-zero ones when sparse), or float32 values for float layers.
        public var codeBytes: Int = 0
        /// The occupancy bitmap of a sparse layer.
        public var occupancyBytes: Int = 0
        /// float32 scales, one per block.
        public var scaleBytes: Int = 0
        /// Zero points, one per block, each `⌈b / 8⌉` bytes.
        public var zeroPointBytes: Int = 0
        /// The float32 codebook (k-means).
        public var codebookBytes: Int = 0
        /// The float32 bias.
        public var biasBytes: Int = 0
        /// Fraction of the model's current bytes this layer takes (0…1).
        public var share: Double = 0

        /// Creates a size record with every part 0 (float32 layers fill in `codeBytes`).
        public init(name: String, weightCount: Int, biasCount: Int) {
            self.name = name
            self.weightCount = weightCount
            self.biasCount = biasCount
        }

        /// The layer's weights and bias as float32.
        public var floatBytes: Int { SizeModel.floatByteCount * (weightCount + biasCount) }

        /// Everything stored for the layer: weights in their encoding, parameters and bias.
        public var quantizedBytes: Int {
            codeBytes + occupancyBytes + scaleBytes + zeroPointBytes + codebookBytes + biasBytes
        }

        /// Effective bits per weight including scales, zero points, codebook and bitmap (bias excluded).
        public var bitsPerWeight: Double {
            weightCount > 0 ? Double(8 * (quantizedBytes - biasBytes)) / Double(weightCount) : 0
        }
    }

    /// Every layer, in model order.
    public var layers: [LayerSize]
    /// Initializers that are no layer's weight or bias, stored as float32.
    public var otherInitializerBytes: Int
    /// The float32 baseline: every initializer as float32.
    public var floatBytes: Int
    /// What the export weighs with the current plan.
    public var currentBytes: Int

    /// Creates a report from its parts.
    public init(layers: [LayerSize], otherInitializerBytes: Int, floatBytes: Int, currentBytes: Int) {
        self.layers = layers
        self.otherInitializerBytes = otherInitializerBytes
        self.floatBytes = floatBytes
        self.currentBytes = currentBytes
    }

    /// `floatBytes / currentBytes` (1 for an empty model).
    public var compressionRatio: Double {
        currentBytes > 0 ? Double(floatBytes) / Double(currentBytes) : 1
    }

    /// The mean stored width `b` of a layer weight value, weighted by each layer's weight count:
    /// the code width of quantized layers, 32 for float ones (32 for a model without layers).
    public var meanValueBitWidth: Double {
        let weights = layers.reduce(0) { $0 + $1.weightCount }
        guard weights > 0 else { return 32 }
        return layers.reduce(0.0) { $0 + Double($1.weightCount * $1.valueBitWidth) } / Double(weights)
    }

    /// The seeds' precision loss `δ = 1 − b/32` with `b` the mean value width (`meanValueBitWidth`):
    /// 0 for float32, 0.75 at 8 bits, 0.875 at 4. Unlike the compression ratio it ignores scales,
    /// bitmaps, biases and pruning: it measures the precision of each value, not the bytes.
    public var precisionLoss: Double { 1 - meanValueBitWidth / 32 }

    /// `"δ = 1 − 8/32 = 75.0 %"`, or with a mixed plan's mean width `"δ = 1 − 5.33/32 = 83.3 %"`.
    public var precisionLossLabel: String { Self.precisionLossLabel(meanValueBitWidth: meanValueBitWidth) }

    /// `precisionLossLabel` for a given mean value width `b`.
    public static func precisionLossLabel(meanValueBitWidth bits: Double) -> String {
        let width = bits == bits.rounded() ? String(Int(bits)) : String(format: "%.2f", bits)
        return "δ = 1 − \(width)/32 = " + String(format: "%.1f %%", (1 - bits / 32) * 100)
    }

    /// The size record of the layer named `name`, if any.
    public subscript(layer name: String) -> LayerSize? {
        layers.first { $0.name == name }
    }
}

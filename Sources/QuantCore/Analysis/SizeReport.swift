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

    /// The size record of the layer named `name`, if any.
    public subscript(layer name: String) -> LayerSize? {
        layers.first { $0.name == name }
    }
}

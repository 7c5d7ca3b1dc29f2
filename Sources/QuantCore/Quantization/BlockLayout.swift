/// How a weight tensor splits into blocks, the units that share one scale (see `Granularity`).
///
/// The weight is viewed as `[outer, channels, inner]` around its output-channel axis `a`
/// (`outer` = product of the extents before `a`, `inner` = after `a`). Output channel `c` owns
/// the *row* of `outer · inner` weights `(o, c, i)`, in row-major order of `(o, i)`:
/// contiguous `[in/g · kH · kW]` for a Conv `[out, in/g, kH, kW]` and a Gemm `[out, in]` (axis 0);
/// a column with stride `out` for a MatMul `[in, out]` (axis 1). Blocks, numbered in this order:
///
/// | granularity | blocks | block `b` |
/// | --- | --- | --- |
/// | tensor | 1 | every weight, in flat order (the axis is not read) |
/// | channel | `channels` | row `c = b` |
/// | group(G) | `channels · ⌈row / G⌉` | positions `g·G ..< min((g+1)·G, row)` of row `c`, `b = c · ⌈row / G⌉ + g` |
///
/// The last group of a row is shorter when `G` does not divide the row length.
/// Example: MatMul `[3, 2]` (in 3, out 2), group(2): block 0 = flat `[0, 2]`, block 1 = `[4]`,
/// block 2 = `[1, 3]`, block 3 = `[5]`.
public struct BlockLayout: Sendable, Equatable {
    /// The weight's shape.
    public let shape: [Int]
    /// The axis that indexes output channels (not read for tensor granularity).
    public let outputChannelAxis: Int
    /// Which weights share a scale.
    public let granularity: Granularity
    /// Product of the extents before the output-channel axis (1 for tensor granularity).
    let outerCount: Int
    /// Number of output channels (1 for tensor granularity).
    let channelCount: Int
    /// Product of the extents after the output-channel axis (all weights for tensor granularity).
    let innerCount: Int
    /// Number of blocks in one channel's row.
    let groupsPerChannel: Int
    /// Positions of a row per block (the last block of a row may hold fewer).
    let groupSize: Int

    /// Splits a weight of `shape` into blocks.
    ///
    /// - Throws: `QuantizationError.invalidGroupSize` for a group size below 1, and
    ///   `.invalidOutputChannelAxis` when channel or group granularity names an axis outside `shape`.
    public init(shape: [Int], outputChannelAxis: Int, granularity: Granularity) throws {
        self.shape = shape
        self.outputChannelAxis = outputChannelAxis
        self.granularity = granularity
        let count = Tensor.elementCount(of: shape)
        if case .group(let size) = granularity, size < 1 { throw QuantizationError.invalidGroupSize(size) }
        if granularity == .tensor {
            (outerCount, channelCount, innerCount) = (1, 1, count)
            (groupsPerChannel, groupSize) = (1, max(count, 1))
            return
        }
        guard shape.indices.contains(outputChannelAxis) else {
            throw QuantizationError.invalidOutputChannelAxis(axis: outputChannelAxis, shape: shape)
        }
        outerCount = shape[..<outputChannelAxis].reduce(1, *)
        channelCount = shape[outputChannelAxis]
        innerCount = shape[(outputChannelAxis + 1)...].reduce(1, *)
        let rowLength = outerCount * innerCount
        switch granularity {
        case .group(let size):
            groupSize = size
            groupsPerChannel = rowLength / size + (rowLength % size == 0 ? 0 : 1)  // ⌈row / G⌉ without overflow
        default:
            groupSize = max(rowLength, 1)
            groupsPerChannel = 1
        }
    }

    /// Number of blocks, each with its own scale.
    public var blockCount: Int { channelCount * groupsPerChannel }

    /// Number of weights in one output channel's row.
    public var rowLength: Int { outerCount * innerCount }

    /// Whether every block is one contiguous run of flat indices (no gathering needed).
    var isContiguous: Bool { outerCount == 1 }

    /// The same blocks over the weight rearranged channel-major, `[channels, rowLength]` with axis 0
    /// (block `b` covers the same row positions; every block is contiguous there).
    var channelMajor: BlockLayout {
        BlockLayout(
            shape: [channelCount, rowLength], outputChannelAxis: 0, granularity: granularity, outerCount: 1,
            channelCount: channelCount, innerCount: rowLength, groupsPerChannel: groupsPerChannel, groupSize: groupSize)
    }

    /// Creates a layout from its derived extents (for `channelMajor`).
    private init(
        shape: [Int], outputChannelAxis: Int, granularity: Granularity, outerCount: Int, channelCount: Int,
        innerCount: Int, groupsPerChannel: Int, groupSize: Int
    ) {
        self.shape = shape
        self.outputChannelAxis = outputChannelAxis
        self.granularity = granularity
        self.outerCount = outerCount
        self.channelCount = channelCount
        self.innerCount = innerCount
        self.groupsPerChannel = groupsPerChannel
        self.groupSize = groupSize
    }

    /// The output channel and the row positions that block `block` covers.
    func rowRange(ofBlock block: Int) -> (channel: Int, positions: Range<Int>) {
        let channel = block / groupsPerChannel
        let start = (block % groupsPerChannel) * groupSize
        return (channel, start..<min(start + groupSize, rowLength))
    }

    /// The flat (row-major) index of position `position` in output channel `channel`'s row.
    func flatIndex(channel: Int, position: Int) -> Int {
        guard innerCount > 0 else { return 0 }  // an empty row: there is no weight to index
        let (outer, inner) = position.quotientAndRemainder(dividingBy: innerCount)
        return (outer * channelCount + channel) * innerCount + inner
    }

    /// Number of weights in block `block`.
    public func blockSize(_ block: Int) -> Int { rowRange(ofBlock: block).positions.count }

    /// The flat indices of block `block`'s weights, in block order.
    public func indices(ofBlock block: Int) -> [Int] {
        let (channel, positions) = rowRange(ofBlock: block)
        return positions.map { flatIndex(channel: channel, position: $0) }
    }

    /// The block that weight `index` (flat, row-major) belongs to.
    public func blockIndex(ofElement index: Int) -> Int {
        let (outer, rest) = index.quotientAndRemainder(dividingBy: channelCount * innerCount)
        let (channel, inner) = rest.quotientAndRemainder(dividingBy: innerCount)
        let position = outer * innerCount + inner
        return channel * groupsPerChannel + position / groupSize
    }
}

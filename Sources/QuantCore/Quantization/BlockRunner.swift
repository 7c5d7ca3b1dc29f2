/// One block's inputs and outputs as contiguous buffers, handed to a scheme's block quantizer.
///
/// All buffers have the block's length and are in block order (see `BlockLayout`).
struct BlockBuffers {
    /// The block's weights; pruned weights are already 0.
    var values: UnsafeBufferPointer<Float>
    /// One uniform `[0, 1)` draw per weight for stochastic rounding, or `nil`.
    var noise: UnsafeBufferPointer<Float>?
    /// `true` where the weight is pruned, or `nil` when nothing in the layer is pruned.
    var isPruned: UnsafeBufferPointer<Bool>?
    /// Where the block quantizer writes one code per weight.
    var codes: UnsafeMutableBufferPointer<Int32>
    /// Where the block quantizer writes one decoded value per weight.
    var dequantized: UnsafeMutableBufferPointer<Float>
}

/// The parameters one block stores: its scale and, for schemes with one, its zero point.
struct BlockParameters: Equatable {
    /// The block's scale.
    var scale: Float
    /// The block's zero point (ignored by schemes without one).
    var zeroPoint: Int32 = 0
}

/// Runs a block quantizer over every block of a layout, gathering strided blocks into scratch
/// buffers and scattering the results back, so schemes only ever see contiguous blocks.
struct BlockRunner {
    /// The codes, decoded values and per-block parameters of a whole tensor.
    struct Output {
        /// One code per weight, flat order.
        var codes: [Int32]
        /// One decoded value per weight, flat order.
        var dequantized: [Float]
        /// One entry per block.
        var parameters: [BlockParameters]
    }

    /// The split into blocks.
    let layout: BlockLayout

    /// Quantizes every block with `body`, which fills the block's codes and values and returns its parameters.
    func run(
        values: [Float], noise: [Float]?, isPruned: [Bool]?, _ body: (BlockBuffers) -> BlockParameters
    ) -> Output {
        let count = values.count
        var codes = [Int32](repeating: 0, count: count)
        var dequantized = [Float](repeating: 0, count: count)
        var parameters: [BlockParameters] = []
        parameters.reserveCapacity(layout.blockCount)
        let maximumBlockSize = (0..<layout.blockCount).reduce(0) { max($0, layout.blockSize($1)) }
        // Scratch for strided blocks; unused when blocks are contiguous.
        let scratchSize = layout.isContiguous ? 0 : maximumBlockSize
        var valueScratch = [Float](repeating: 0, count: scratchSize)
        var noiseScratch = [Float](repeating: 0, count: noise == nil ? 0 : scratchSize)
        var prunedScratch = [Bool](repeating: false, count: isPruned == nil ? 0 : scratchSize)
        var codeScratch = [Int32](repeating: 0, count: scratchSize)
        var valueOutScratch = [Float](repeating: 0, count: scratchSize)

        values.withUnsafeBufferPointer { allValues in
        withOptionalBuffer(noise) { allNoise in
        withOptionalBuffer(isPruned) { allPruned in
        codes.withUnsafeMutableBufferPointer { allCodes in
        dequantized.withUnsafeMutableBufferPointer { allDequantized in
            for block in 0..<layout.blockCount {
                let (channel, positions) = layout.rowRange(ofBlock: block)
                if layout.isContiguous {
                    let start = layout.flatIndex(channel: channel, position: positions.lowerBound)
                    let range = start..<(start + positions.count)
                    let buffers = BlockBuffers(
                        values: UnsafeBufferPointer(rebasing: allValues[range]),
                        noise: allNoise.map { UnsafeBufferPointer(rebasing: $0[range]) },
                        isPruned: allPruned.map { UnsafeBufferPointer(rebasing: $0[range]) },
                        codes: UnsafeMutableBufferPointer(rebasing: allCodes[range]),
                        dequantized: UnsafeMutableBufferPointer(rebasing: allDequantized[range]))
                    parameters.append(body(buffers))
                    continue
                }
                let size = positions.count
                var cursor = StridedCursor(layout: layout, channel: channel, position: positions.lowerBound)
                for offset in 0..<size {
                    valueScratch[offset] = allValues[cursor.index]
                    if let allNoise { noiseScratch[offset] = allNoise[cursor.index] }
                    if let allPruned { prunedScratch[offset] = allPruned[cursor.index] }
                    cursor.advance()
                }
                valueScratch.withUnsafeBufferPointer { blockValues in
                noiseScratch.withUnsafeBufferPointer { blockNoise in
                prunedScratch.withUnsafeBufferPointer { blockPruned in
                codeScratch.withUnsafeMutableBufferPointer { blockCodes in
                valueOutScratch.withUnsafeMutableBufferPointer { blockDequantized in
                    let buffers = BlockBuffers(
                        values: UnsafeBufferPointer(rebasing: blockValues[..<size]),
                        noise: allNoise == nil ? nil : UnsafeBufferPointer(rebasing: blockNoise[..<size]),
                        isPruned: allPruned == nil ? nil : UnsafeBufferPointer(rebasing: blockPruned[..<size]),
                        codes: UnsafeMutableBufferPointer(rebasing: blockCodes[..<size]),
                        dequantized: UnsafeMutableBufferPointer(rebasing: blockDequantized[..<size]))
                    parameters.append(body(buffers))
                }}}}}
                cursor = StridedCursor(layout: layout, channel: channel, position: positions.lowerBound)
                for offset in 0..<size {
                    allCodes[cursor.index] = codeScratch[offset]
                    allDequantized[cursor.index] = valueOutScratch[offset]
                    cursor.advance()
                }
            }
        }}}}}
        return Output(codes: codes, dequantized: dequantized, parameters: parameters)
    }
}

/// Walks one output channel's row in flat indices without a division per step.
private struct StridedCursor {
    /// The current flat index.
    private(set) var index: Int
    /// Position within the current run of `inner` contiguous weights.
    private var inner: Int
    /// Length of a contiguous run (the extent after the channel axis).
    private let innerCount: Int
    /// Distance between the starts of consecutive runs of the same channel.
    private let runStride: Int

    /// Starts at `position` of `channel`'s row.
    init(layout: BlockLayout, channel: Int, position: Int) {
        index = layout.flatIndex(channel: channel, position: position)
        innerCount = layout.innerCount
        inner = position % max(layout.innerCount, 1)
        runStride = layout.channelCount * layout.innerCount
    }

    /// Moves to the next position of the row.
    mutating func advance() {
        inner += 1
        if inner == innerCount {
            inner = 0
            index += runStride - innerCount + 1
        } else {
            index += 1
        }
    }
}

/// Calls `body` with a buffer over `array`, or with `nil` when there is no array.
private func withOptionalBuffer<Element, Result>(
    _ array: [Element]?, _ body: (UnsafeBufferPointer<Element>?) -> Result
) -> Result {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0) }
}

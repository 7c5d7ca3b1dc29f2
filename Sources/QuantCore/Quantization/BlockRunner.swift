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

/// Runs a block quantizer over every block of a layout, so schemes only ever see contiguous blocks.
///
/// When a channel's row is strided (e.g. a MatMul `[in, out]` column), the tensor is first
/// rearranged channel-major, `[outer, channels, inner]` → `[channels, outer, inner]`, with a
/// tiled copy (walking a column element by element strides the cache badly), quantized as a
/// contiguous `[channels, row]` weight with the same blocks, and the results are rearranged back.
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
        guard layout.isContiguous else {
            return runChannelMajor(values: values, noise: noise, isPruned: isPruned, body)
        }
        let count = values.count
        var codes = [Int32](repeating: 0, count: count)
        var dequantized = [Float](repeating: 0, count: count)
        var parameters: [BlockParameters] = []
        parameters.reserveCapacity(layout.blockCount)
        values.withUnsafeBufferPointer { allValues in
            withOptionalBuffer(noise) { allNoise in
                withOptionalBuffer(isPruned) { allPruned in
                    codes.withUnsafeMutableBufferPointer { allCodes in
                        dequantized.withUnsafeMutableBufferPointer { allDequantized in
                            for block in 0..<layout.blockCount {
                                let (channel, positions) = layout.rowRange(ofBlock: block)
                                let start = layout.flatIndex(channel: channel, position: positions.lowerBound)
                                let range = start..<(start + positions.count)
                                let buffers = BlockBuffers(
                                    values: UnsafeBufferPointer(rebasing: allValues[range]),
                                    noise: allNoise.map { UnsafeBufferPointer(rebasing: $0[range]) },
                                    isPruned: allPruned.map { UnsafeBufferPointer(rebasing: $0[range]) },
                                    codes: UnsafeMutableBufferPointer(rebasing: allCodes[range]),
                                    dequantized: UnsafeMutableBufferPointer(rebasing: allDequantized[range]))
                                parameters.append(body(buffers))
                            }
                        }
                    }
                }
            }
        }
        return Output(codes: codes, dequantized: dequantized, parameters: parameters)
    }

    /// Rearranges channel-major, runs contiguously, and rearranges the results back.
    private func runChannelMajor(
        values: [Float], noise: [Float]?, isPruned: [Bool]?, _ body: (BlockBuffers) -> BlockParameters
    ) -> Output {
        let rows = RowTranspose(outer: layout.outerCount, channels: layout.channelCount, inner: layout.innerCount)
        // The same blocks, in the same order, over a contiguous [channels, row] weight.
        let channelMajor = BlockRunner(layout: layout.channelMajor)
        var output = channelMajor.run(
            values: rows.toChannelMajor(values), noise: noise.map(rows.toChannelMajor),
            isPruned: isPruned.map(rows.toChannelMajor), body)
        output.codes = rows.fromChannelMajor(output.codes)
        output.dequantized = rows.fromChannelMajor(output.dequantized)
        return output
    }
}

/// The rearrangement `[outer, channels, inner]` ↔ `[channels, outer, inner]`, copied in tiles.
struct RowTranspose {
    /// Product of the extents before the channel axis.
    let outer: Int
    /// Number of output channels.
    let channels: Int
    /// Product of the extents after the channel axis.
    let inner: Int
    /// Tile edge in (outer, channel) pairs.
    private static let tile = 8

    /// `[outer, channels, inner]` → `[channels, outer, inner]`.
    func toChannelMajor<Element>(_ array: [Element]) -> [Element] {
        copy(array, toChannelMajor: true)
    }

    /// `[channels, outer, inner]` → `[outer, channels, inner]`.
    func fromChannelMajor<Element>(_ array: [Element]) -> [Element] {
        copy(array, toChannelMajor: false)
    }

    /// Copies each run of `inner` elements between position `(o, c)` of the two arrangements.
    private func copy<Element>(_ array: [Element], toChannelMajor: Bool) -> [Element] {
        guard let first = array.first else { return array }
        var result = [Element](repeating: first, count: array.count)
        // Element strides of o and c in the flat [outer, channels, inner] and the channel-major arrangement.
        let flat = (outer: channels * inner, channel: inner)
        let major = (outer: inner, channel: outer * inner)
        let (source, target) = toChannelMajor ? (flat, major) : (major, flat)
        array.withUnsafeBufferPointer { from in
            result.withUnsafeMutableBufferPointer { to in
                for outerStart in stride(from: 0, to: outer, by: Self.tile) {
                    for channelStart in stride(from: 0, to: channels, by: Self.tile) {
                        for o in outerStart..<min(outerStart + Self.tile, outer) {
                            for c in channelStart..<min(channelStart + Self.tile, channels) {
                                let sourceStart = o * source.outer + c * source.channel
                                let targetStart = o * target.outer + c * target.channel
                                if inner == 1 {  // MatMul [in, out]: single elements
                                    to[targetStart] = from[sourceStart]
                                } else {
                                    for i in 0..<inner { to[targetStart + i] = from[sourceStart + i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Calls `body` with a buffer over `array`, or with `nil` when there is no array.
private func withOptionalBuffer<Element, Result>(
    _ array: [Element]?, _ body: (UnsafeBufferPointer<Element>?) -> Result
) -> Result {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0) }
}

import Testing
@testable import QuantCore

@Suite struct BlockLayoutTests {
    @Test func matMulGroupsRunDownColumns() throws {
        // MatMul [in 3, out 2]: channel c is column c (flat c, c + 2, c + 4); groups of 2 along `in`.
        let layout = try BlockLayout(shape: [3, 2], outputChannelAxis: 1, granularity: .group(size: 2))
        #expect(layout.blockCount == 4)
        #expect((0..<4).map(layout.indices(ofBlock:)) == [[0, 2], [4], [1, 3], [5]])
        #expect((0..<6).map(layout.blockIndex(ofElement:)) == [0, 2, 0, 2, 1, 3])
    }

    @Test func convChannelsAreContiguousRows() throws {
        // Conv [out 2, in 2, kH 1, kW 2]: each output channel is 4 contiguous weights.
        let channel = try BlockLayout(shape: [2, 2, 1, 2], outputChannelAxis: 0, granularity: .channel)
        #expect(channel.blockCount == 2)
        #expect(channel.indices(ofBlock: 1) == [4, 5, 6, 7])
        #expect(channel.isContiguous)
        let groups = try BlockLayout(shape: [2, 2, 1, 2], outputChannelAxis: 0, granularity: .group(size: 3))
        #expect((0..<groups.blockCount).map(groups.indices(ofBlock:)) == [[0, 1, 2], [3], [4, 5, 6], [7]])
    }

    @Test func tensorGranularityIsOneBlockInFlatOrder() throws {
        let layout = try BlockLayout(shape: [3, 2], outputChannelAxis: 1, granularity: .tensor)
        #expect(layout.blockCount == 1)
        #expect(layout.indices(ofBlock: 0) == [0, 1, 2, 3, 4, 5])
        // The axis is not read for tensor granularity, even for a scalar.
        #expect(try BlockLayout(shape: [], outputChannelAxis: 0, granularity: .tensor).indices(ofBlock: 0) == [0])
    }

    @Test(
        arguments: [([6, 3, 3, 3], 0), ([5, 24], 0), ([21, 4], 1), ([2, 3, 4], 1), ([2, 3, 4], 2)],
        [Granularity.tensor, .channel, .group(size: 1), .group(size: 5), .group(size: 1000)])
    func everyWeightIsInExactlyOneBlock(weight: ([Int], Int), granularity: Granularity) throws {
        let (shape, axis) = weight
        let layout = try BlockLayout(shape: shape, outputChannelAxis: axis, granularity: granularity)
        var seen = [Int](repeating: 0, count: Tensor.elementCount(of: shape))
        for block in 0..<layout.blockCount {
            let indices = layout.indices(ofBlock: block)
            #expect(indices.count == layout.blockSize(block))
            for index in indices {
                seen[index] += 1
                #expect(layout.blockIndex(ofElement: index) == block)
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
        if granularity != .tensor {
            // All weights of a block share the output channel.
            let strides = Tensor.strides(of: shape)
            for block in 0..<layout.blockCount {
                let channels = Set(layout.indices(ofBlock: block).map { ($0 / strides[axis]) % shape[axis] })
                #expect(channels.count <= 1)
            }
        }
    }

    @Test func rejectsBadGroupSizeAndAxis() {
        #expect(throws: QuantizationError.invalidGroupSize(0)) {
            try BlockLayout(shape: [4, 4], outputChannelAxis: 0, granularity: .group(size: 0))
        }
        #expect(throws: QuantizationError.invalidOutputChannelAxis(axis: 2, shape: [4, 4])) {
            try BlockLayout(shape: [4, 4], outputChannelAxis: 2, granularity: .channel)
        }
        #expect(throws: QuantizationError.invalidOutputChannelAxis(axis: -1, shape: [4, 4])) {
            try BlockLayout(shape: [4, 4], outputChannelAxis: -1, granularity: .group(size: 2))
        }
    }

    @Test func emptyTensorsHaveEmptyBlocks() throws {
        let layout = try BlockLayout(shape: [0, 5], outputChannelAxis: 0, granularity: .channel)
        #expect(layout.blockCount == 0)
        let quantized = try QuantizationTestData.quantize(Tensor(shape: [0, 5]), scheme: .symmetric, bitWidth: 8)
        #expect(quantized.dequantized.isEmpty)
        let rows = try QuantizationTestData.quantize(Tensor(shape: [3, 0]), scheme: .kmeans, bitWidth: 2)
        #expect(rows.codes.isEmpty)
        for scheme in Scheme.allCases {
            for (shape, axis) in [([3, 0], 0), ([2, 3, 0], 1), ([0, 4], 1)] {
                for granularity in [Granularity.tensor, .channel, .group(size: 2)] {
                    let empty = try QuantizationTestData.quantize(
                        Tensor(shape: shape), axis: axis, scheme: scheme, bitWidth: scheme.defaultBitWidth,
                        granularity: granularity)
                    #expect(empty.dequantized.isEmpty && empty.codes.isEmpty)
                }
            }
        }
    }
}

/// Issue 16.2: a group size far beyond the row (as an API caller may pass) is one group per row,
/// without arithmetic overflow.
@Suite struct BlockLayoutHugeGroupTests {
    @Test(arguments: [Int.max, Int.max - 1, 1 << 40, Int(UInt32.max) + 1])
    func aHugeGroupIsTheRow(size: Int) throws {
        let layout = try BlockLayout(shape: [3, 5], outputChannelAxis: 0, granularity: .group(size: size))
        #expect(layout.blockCount == 3)
        #expect(layout.indices(ofBlock: 1) == [5, 6, 7, 8, 9])
        #expect(layout.blockIndex(ofElement: 14) == 2)
    }
}

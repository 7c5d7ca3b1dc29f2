extension CExporter {
    /// Where each activation buffer of the integer form lives in one static arena: offsets from a
    /// liveness plan, so buffers that are never live at the same step share bytes.
    struct ArenaPlan: Equatable {
        /// One buffer: its size and the steps it is live (written at `first`, last read at `last`).
        struct Buffer: Equatable {
            var bytes: Int
            var first: Int
            var last: Int

            func overlapsInTime(_ other: Buffer) -> Bool { first <= other.last && other.first <= last }
        }

        /// The byte offset of each buffer, in the order given.
        var offsets: [Int]
        /// The arena's size: the end of the highest buffer, rounded up to `alignment`.
        var totalBytes: Int
        /// The most bytes live at one step (a lower bound for any arena).
        var largestLiveSet: Int

        /// Places `buffers` greedily, largest first, each at the lowest offset (a multiple of
        /// `alignment`) where it overlaps no placed buffer live at the same time (TFLite's arena
        /// planner does the same).
        static func plan(_ buffers: [Buffer], alignment: Int) -> ArenaPlan {
            func aligned(_ value: Int) -> Int { (value + alignment - 1) / alignment * alignment }
            var offsets = [Int](repeating: 0, count: buffers.count)
            var placed: [Int] = []
            let order = buffers.indices.sorted { (buffers[$0].bytes, $1) > (buffers[$1].bytes, $0) }
            for index in order {
                let buffer = buffers[index]
                let conflicts = placed.filter { buffers[$0].overlapsInTime(buffer) }
                    .map { (start: offsets[$0], end: offsets[$0] + buffers[$0].bytes) }
                    .sorted { $0.start < $1.start }
                var offset = 0
                for conflict in conflicts where conflict.end > offset {
                    if conflict.start >= offset + buffer.bytes { break }
                    offset = aligned(conflict.end)
                }
                offsets[index] = offset
                placed.append(index)
            }
            let total = aligned(zip(buffers, offsets).map { $0.bytes + $1 }.max() ?? 0)
            let steps = Set(buffers.flatMap { [$0.first, $0.last] })
            let largest =
                steps.map { step in
                    buffers.filter { $0.first <= step && step <= $0.last }.reduce(0) { $0 + $1.bytes }
                }.max() ?? 0
            return ArenaPlan(offsets: offsets, totalBytes: total, largestLiveSet: largest)
        }
    }
}

extension Trainer {
    /// Splits `count` items into at most `parts` contiguous, non-empty ranges whose sizes differ by at most 1.
    static func split(_ count: Int, into parts: Int) -> [Range<Int>] {
        let partCount = max(min(parts, count), 1)
        var ranges: [Range<Int>] = []
        var start = 0
        for part in 0..<partCount {
            let size = count / partCount + (part < count % partCount ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }

    /// Copies samples `rows` of `images` (`[N] + sampleShape`) into a batch `[rows.count] + sampleShape`,
    /// translating sample i by `shifts[i]` when given (`sampleShape` is then `[C, H, W]`).
    static func gather(_ images: Tensor, rows: [Int], sampleShape: [Int], shifts: [(Int, Int)]? = nil) -> Tensor {
        let sampleSize = Tensor.elementCount(of: sampleShape)
        var storage: [Float] = []
        storage.reserveCapacity(rows.count * sampleSize)
        for (member, row) in rows.enumerated() {
            let sample = images.storage[(row * sampleSize)..<((row + 1) * sampleSize)]
            if let shifts, sampleShape.count == 3 {
                storage += shifted(sample, shape: sampleShape, by: shifts[member])
            } else {
                storage.append(contentsOf: sample)
            }
        }
        return Tensor(shape: [rows.count] + sampleShape, storage: storage)
    }

    /// A `[C, H, W]` image moved down by `dy` and right by `dx` pixels (negative: up, left); pixels
    /// moved in from outside are 0: `out[c, y, x] = in[c, y − dy, x − dx]`.
    static func shifted(_ image: ArraySlice<Float>, shape: [Int], by shift: (dy: Int, dx: Int)) -> [Float] {
        let channels = shape[0], height = shape[1], width = shape[2]
        var result = [Float](repeating: 0, count: image.count)
        let base = image.startIndex
        for c in 0..<channels {
            for y in max(0, shift.dy)..<min(height, height + shift.dy) {
                for x in max(0, shift.dx)..<min(width, width + shift.dx) {
                    result[(c * height + y) * width + x] =
                        image[base + (c * height + y - shift.dy) * width + x - shift.dx]
                }
            }
        }
        return result
    }

    /// `count` translations `(dy, dx)`, each component uniform in `-maximum...maximum`.
    static func randomShifts(_ count: Int, maximum: Int, using generator: inout SplitMix64) -> [(Int, Int)] {
        (0..<count).map { _ in
            let dy = uniformIndex(below: 2 * maximum + 1, using: &generator) - maximum
            let dx = uniformIndex(below: 2 * maximum + 1, using: &generator) - maximum
            return (dy, dx)
        }
    }

    /// Fisher–Yates shuffle driven by `generator` (platform independent, unlike `shuffle(using:)`'s
    /// unspecified algorithm).
    static func shuffle(_ values: inout [Int], using generator: inout SplitMix64) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(index, uniformIndex(below: index + 1, using: &generator))
        }
    }

    /// A value in `0..<bound` from 64 random bits by multiply-high (no division; bias below 2⁻⁶⁴·bound).
    static func uniformIndex(below bound: Int, using generator: inout SplitMix64) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: generator.next()).high)
    }
}

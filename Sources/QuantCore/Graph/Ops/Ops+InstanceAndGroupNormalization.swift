/// InstanceNormalization and GroupNormalization: statistics per image over channel groups.
extension Ops {
    /// ONNX InstanceNormalization on `[N, C, …]`: each `[n, c]` plane normalized to mean 0 and
    /// variance 1 (population variance, in `Double`), then `· scale[c] + B[c]`.
    static func instanceNormalization(
        _ x: Tensor, scale: Tensor, bias: Tensor, epsilon: Float, node: String
    ) throws -> Tensor {
        let op = "InstanceNormalization"
        guard x.rank >= 3 else { throw mismatch(node, op, "X \(x.shape) needs [N, C, spatial…]") }
        let channels = x.shape[1]
        guard scale.count == channels, bias.count == channels, scale.rank == 1, bias.rank == 1 else {
            throw mismatch(node, op, "scale \(scale.shape) and B \(bias.shape) must be [\(channels)]")
        }
        return normalizedGroups(
            x, groups: channels, epsilon: epsilon, scale: scale.storage, bias: bias.storage, perChannel: true)
    }

    /// ONNX GroupNormalization on `[N, C, …]`: channels split into `groups` consecutive groups,
    /// each `[n, group]` normalized over its channels and positions, then `· scale + bias`,
    /// per channel (`[C]`, opset 21) or per group (`[groups]`, opset 18).
    static func groupNormalization(
        _ x: Tensor, scale: Tensor, bias: Tensor, groups: Int, epsilon: Float, perChannelAffine: Bool, node: String
    ) throws -> Tensor {
        let op = "GroupNormalization"
        guard x.rank >= 3 else { throw mismatch(node, op, "X \(x.shape) needs [N, C, spatial…]") }
        let channels = x.shape[1]
        guard groups >= 1, channels % groups == 0 else {
            throw mismatch(node, op, "\(channels) channels are not divisible by num_groups \(groups)")
        }
        let expected = perChannelAffine ? channels : groups
        guard scale.count == expected, bias.count == expected, scale.rank == 1, bias.rank == 1 else {
            throw mismatch(node, op, "scale \(scale.shape) and bias \(bias.shape) must be [\(expected)]")
        }
        return normalizedGroups(
            x, groups: groups, epsilon: epsilon, scale: scale.storage, bias: bias.storage, perChannel: perChannelAffine)
    }

    /// Normalizes each `[n, group]` block of `x` (`groups` divides the channels) and applies
    /// `scale`/`bias`, indexed by channel when `perChannel`, else by group.
    private static func normalizedGroups(
        _ x: Tensor, groups: Int, epsilon: Float, scale: [Float], bias: [Float], perChannel: Bool
    ) -> Tensor {
        let channels = x.shape[1], plane = product(x.shape, 2..<x.rank)
        let channelsPerGroup = channels / groups, blockCount = channelsPerGroup * plane
        var y = x
        for block in 0..<(x.shape[0] * groups) {
            let start = block * blockCount, group = block % groups
            var sum = 0.0
            for index in start..<(start + blockCount) { sum += Double(x.storage[index]) }
            let mean = sum / Double(max(blockCount, 1))
            var squares = 0.0
            for index in start..<(start + blockCount) {
                let centred = Double(x.storage[index]) - mean
                squares += centred * centred
            }
            let inverse = 1 / (squares / Double(max(blockCount, 1)) + Double(epsilon)).squareRoot()
            for offset in 0..<blockCount {
                let affine = perChannel ? group * channelsPerGroup + offset / plane : group
                let normalized = Float((Double(x.storage[start + offset]) - mean) * inverse)
                y.storage[start + offset] = normalized * scale[affine] + bias[affine]
            }
        }
        return y
    }
}

/// How stored values become model inputs: `(stored / divisor − mean) / std`, with `mean` and
/// `std` one value for all or one per channel (axis 1 of `[N, C, ...]`).
///
/// Applied the same way to a whole data set in memory and to one batch read from a file, so a
/// streamed data set gives exactly the values a loaded one would.
struct SampleTransform: Sendable, Equatable {
    /// Every stored value is divided by it (1: unchanged).
    var divisor: Float
    /// Subtracted after scaling: empty, one value, or one per channel.
    var mean: [Float]
    /// Divides after subtracting the mean: empty, one value, or one per channel.
    var std: [Float]
    /// Values per channel within one sample (the product of the axes after the channel axis).
    var channelStride: Int

    /// The transform for `options` on data of shape `[N, ...]` whose stored values are uint8
    /// (`isUInt8`: the default divisor is then 255).
    ///
    /// - Throws: `ModelIOError.incompatible` naming `path` when the mean and std disagree in
    ///   length, a std is 0, or per-channel values do not match the data's channel axis.
    init(options: DatasetLoadOptions, shape: [Int], isUInt8: Bool, path: String) throws {
        divisor = options.scaleDivisor ?? (isUInt8 ? 255 : 1)
        mean = options.mean
        std = options.std
        channelStride = 1
        let channels = max(mean.count, std.count)
        guard mean.count <= 1 || std.count <= 1 || mean.count == std.count else {
            throw ModelIOError.incompatible(
                path: path, detail: "--mean has \(mean.count) values, --std \(std.count); give one or one per channel")
        }
        if let zero = std.firstIndex(of: 0) {
            throw ModelIOError.incompatible(path: path, detail: "--std value \(zero + 1) is 0")
        }
        if channels > 1 {
            guard shape.count >= 2, shape[1] == channels else {
                throw ModelIOError.incompatible(
                    path: path,
                    detail:
                        "\(channels) per-channel values need shape [N, \(channels), ...], the data has \(EvaluationError.format(shape))"
                )
            }
            channelStride = Tensor.elementCount(of: Array(shape.dropFirst(2)))
        }
    }

    /// Checks the stored `values` (the samples starting at flat index `base`, a sample boundary,
    /// `perSample` values each) and transforms them in place: every value must be finite as
    /// stored and after the transform. One check for a file loaded whole and a streamed one.
    ///
    /// - Throws: `ModelIOError.malformed` naming `path`, the flat index and the sample of the
    ///   first stored value that is NaN or infinite; `.incompatible` for the first that becomes
    ///   so through the transform (a scale or std that over- or underflows).
    func applyChecked(to values: inout [Float], base: Int, perSample: Int, path: String) throws {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw ModelIOError.malformed(
                path: path,
                detail:
                    "value \(values[index]) at index \(base + index) (sample \((base + index) / max(perSample, 1))) is not a finite number"
            )
        }
        apply(to: &values)
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw ModelIOError.incompatible(
                path: path,
                detail: "value at index \(base + index) becomes \(values[index]) after --scale, --mean and --std; "
                    + "check those options")
        }
    }

    /// Transforms `values`, the samples starting at a sample boundary, in place.
    func apply(to values: inout [Float]) {
        if divisor != 1 {
            for index in values.indices { values[index] /= divisor }
        }
        guard !mean.isEmpty || !std.isEmpty else { return }
        let channels = max(mean.count, std.count)
        for index in values.indices {
            let channel = channels > 1 ? (index / channelStride) % channels : 0
            let m = mean.isEmpty ? 0 : mean[mean.count == 1 ? 0 : channel]
            let s = std.isEmpty ? 1 : std[std.count == 1 ? 0 : channel]
            values[index] = (values[index] - m) / s
        }
    }
}

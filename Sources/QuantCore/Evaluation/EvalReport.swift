/// The result of evaluating a classifier on a data set (or on part of it, as an estimate).
public struct EvalReport: Codable, Sendable, Equatable {
    /// Share of samples whose prediction equals the label, 0…1.
    public var top1: Double
    /// Share of samples whose label is among the 5 highest logits, 0…1 (1 with ≤ 5 classes).
    public var top5: Double
    /// Mean cross-entropy `−log softmax(logits)[label]` in nats, over the samples whose logits
    /// are all finite (0 when none are; `nonFinite` then counts every sample: see `finiteMeanNLL`).
    public var meanNLL: Double
    /// `meanNLL`, or `nil` when no sample's output was finite (then there is no mean to show).
    public var finiteMeanNLL: Double? { (nonFinite?.sampleCount ?? 0) < count ? meanNLL : nil }
    /// Share of predictions equal to the reference predictions (e.g. the float model's), or `nil`.
    public var agreement: Double?
    /// The number of samples evaluated.
    public var count: Int
    /// Samples predicted correctly (top-1).
    public var correctCount: Int
    /// Samples whose label is in the top 5.
    public var top5CorrectCount: Int
    /// The predicted class of each sample: the argmax of its logits, ties to the lowest index.
    public var predictions: [Int]
    /// The 95 % Wilson score interval for the top-1 accuracy of the population sampled.
    public var top1Interval: ClosedRange<Double>
    /// `true` when every sample of the data set was evaluated, `false` for an estimate on a subset.
    public var isExact: Bool
    /// The samples whose logits hold NaN or ±∞, or `nil` when every logit is finite.
    public var nonFinite: NonFiniteOutputs?
    /// How closely the outputs follow the float model's on the same samples (`nil` when not
    /// measured, e.g. by `Evaluator` alone; `Workbench` always measures it).
    public var fidelity: Fidelity?
    /// Whether the data set has labels; without them `top1`, `top5` and `meanNLL` mean nothing
    /// (every label reads as 0) and `fidelity` is the result.
    public var hasLabels = true

    /// Creates a report from its parts.
    public init(
        top1: Double, top5: Double, meanNLL: Double, agreement: Double?, count: Int, correctCount: Int,
        top5CorrectCount: Int, predictions: [Int], top1Interval: ClosedRange<Double>, isExact: Bool
    ) {
        self.top1 = top1
        self.top5 = top5
        self.meanNLL = meanNLL
        self.agreement = agreement
        self.count = count
        self.correctCount = correctCount
        self.top5CorrectCount = top5CorrectCount
        self.predictions = predictions
        self.top1Interval = top1Interval
        self.isExact = isExact
    }
}

/// Samples whose logits are not all finite, and where in the graph that starts.
public struct NonFiniteOutputs: Codable, Sendable, Equatable {
    /// How many samples have a NaN or infinite logit.
    public var sampleCount: Int
    /// The first such sample, as an index into the data set evaluated.
    public var firstSample: Int
    /// The first node (in graph order) whose output is not finite for that sample, with its
    /// operator, e.g. `div1 (Div)`; `nil` until `Workbench` has traced it.
    public var firstNode: String?

    /// Creates the record; `firstNode` is filled in by the caller that can run the graph.
    public init(sampleCount: Int, firstSample: Int, firstNode: String? = nil) {
        self.sampleCount = sampleCount
        self.firstSample = firstSample
        self.firstNode = firstNode
    }

    /// One line for the user: `logits are NaN or infinite for 3 of 100 samples (first: sample 7), from node div1 (Div)`.
    public func summary(of total: Int) -> String {
        var line = "logits are NaN or infinite for \(sampleCount) of \(total) samples (first: sample \(firstSample))"
        if let firstNode { line += ", first produced by node \(Printable.name(firstNode))" }
        return line
    }
}

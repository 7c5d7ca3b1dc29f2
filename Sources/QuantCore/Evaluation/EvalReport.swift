/// The result of evaluating a classifier on a data set (or on part of it, as an estimate).
public struct EvalReport: Codable, Sendable, Equatable {
    /// Share of samples whose prediction equals the label, 0…1.
    public var top1: Double
    /// Share of samples whose label is among the 5 highest logits, 0…1 (1 with ≤ 5 classes).
    public var top5: Double
    /// Mean cross-entropy `−log softmax(logits)[label]` in nats.
    public var meanNLL: Double
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

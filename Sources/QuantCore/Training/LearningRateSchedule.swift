import Foundation

/// How the learning rate changes over a training run.
public enum LearningRateSchedule: String, Sendable, Equatable, CaseIterable {
    /// The same rate for every step.
    case constant
    /// Cosine annealing to 0 over the run, updated every step (PyTorch `CosineAnnealingLR`
    /// with `eta_min = 0`, `T_max` = total steps): `lr_t = lr · (1 + cos(π · t / T)) / 2`, t from 0.
    case cosine

    /// The rate for step `step` (from 0) of `totalSteps`, given the base rate.
    public func learningRate(base: Float, step: Int, totalSteps: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .cosine:
            guard totalSteps > 0 else { return base }
            let progress = Double(step) / Double(totalSteps)
            return Float(Double(base) * (1 + cos(Double.pi * progress)) / 2)
        }
    }
}

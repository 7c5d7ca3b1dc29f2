/// How far a long piece of engine work has come: what it is, units done of the total, and the
/// time it took so far and probably still needs.
public struct EngineProgress: Sendable, Equatable {
    /// What is running.
    public enum Phase: String, Sendable, Equatable {
        /// The float model on the held-out set (the baseline).
        case baseline = "float baseline"
        /// Activation statistics on the calibration set.
        case calibrating = "calibrating"
        /// A quick estimate on a spread subset.
        case estimating = "estimating"
        /// The exact evaluation on the whole held-out set.
        case evaluating = "evaluating"
        /// Reading a model file (units: MiB).
        case readingModel = "reading model"
        /// Decoding a model's weights (units: MiB stored).
        case decodingWeights = "decoding weights"
        /// The SHA-256 of the model and data files a session records (units: MiB).
        case hashing = "hashing"
        /// Learned rounding's optimisation (units: Adam steps, over every layer to learn).
        case learningRounding = "learning rounding"

        /// What `done` and `total` count.
        public var unit: String {
            switch self {
            case .baseline, .calibrating, .estimating, .evaluating: "images"
            case .readingModel, .decodingWeights, .hashing: "MiB"
            case .learningRounding: "steps"
            }
        }
    }

    /// What is running.
    public var phase: Phase
    /// Units done (images).
    public var done: Int
    /// Units in all.
    public var total: Int
    /// Seconds since the work started.
    public var elapsedSeconds: Double

    /// Creates a progress report.
    public init(phase: Phase, done: Int, total: Int, elapsedSeconds: Double) {
        self.phase = phase
        self.done = done
        self.total = total
        self.elapsedSeconds = elapsedSeconds
    }

    /// The fraction done, 0…1.
    public var fraction: Double { total > 0 ? min(1, Double(done) / Double(total)) : 0 }

    /// Seconds still needed at the rate so far (`nil` before anything is done).
    public var remainingSeconds: Double? {
        guard done > 0, elapsedSeconds > 0 else { return nil }
        return elapsedSeconds / Double(done) * Double(max(total - done, 0))
    }

    /// One line such as `evaluating 412/1000 images · 12 s left` or `reading model 40/97 MiB`.
    public var summary: String {
        var text = "\(phase.rawValue) \(done)/\(total) \(phase.unit)"
        if let remaining = remainingSeconds, done < total { text += " · \(EngineProgress.duration(remaining)) left" }
        return text
    }

    /// `0.4 s`, `12 s`, `3 min 05 s`.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1f s", max(seconds, 0)) }
        if seconds < 60 { return "\(Int(seconds.rounded())) s" }
        let whole = Int(seconds.rounded())
        return String(format: "%d min %02d s", whole / 60, whole % 60)
    }
}

/// What the engine reports, in the order it happens; every plan result carries the generation
/// of the plan it belongs to, so a consumer drops results for plans it has moved past.
public enum EngineEvent: Sendable, Equatable {
    /// The plan of `generation` was applied: layer reports and size.
    case applied(generation: Int, QuantizedModel)
    /// The plan of `generation` could not be applied.
    case applyFailed(generation: Int, message: String)
    /// The float model's held-out result (the baseline).
    case floatEvaluated(EvalReport)
    /// Work for plan `generation` (or the baseline, generation -1) progressed.
    case progress(generation: Int, EngineProgress)
    /// An estimate (`isExact` false) or the exact result for plan `generation`.
    case evaluated(generation: Int, EvalReport)
    /// Evaluating plan `generation` failed.
    case evaluationFailed(generation: Int, message: String)
    /// Background sensitivity (lowest priority, see `Engine.startSensitivity`).
    case sensitivity(SensitivityEvent)
}

/// A result of the background sensitivity analysis. Only-this-layer results depend on the
/// plan only through the layer's own scheme (`settings` says what each option gave it); every
/// other result belongs to the plan of `generation`.
public enum SensitivityEvent: Sendable, Equatable {
    /// Layer `layer` alone at each menu option (everything else float), in menu order.
    case onlyThis(layer: String, entries: [SensitivityTable.Entry], settings: [LayerSettings])
    /// RMSE/scale per layer at the plan's settings (`LayerHealth`; affine layers only).
    case health(generation: Int, [String: Double])
    /// The float model and the plan, and the plan with only its weight settings (activations
    /// float) and with only its activation settings (weights float); `nil` when the plan has
    /// no activation quantization (the plan is its own weights-only model) or no weight change.
    case plan(
        generation: Int, float: SensitivityTable.Figure, current: SensitivityTable.Figure,
        weightsOnly: SensitivityTable.Figure?, activationsOnly: SensitivityTable.Figure?)
    /// Every other layer as planned, `layer` float; `versusPlan` compares it with the plan.
    case allButThis(generation: Int, layer: String, figure: SensitivityTable.Figure, versusPlan: PairedDifference)
    /// The analysis of plan `generation` stopped on an error.
    case failed(generation: Int, message: String)
}

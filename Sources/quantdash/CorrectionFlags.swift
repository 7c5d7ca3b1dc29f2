import ArgumentParser
import QuantCore

/// The post-training corrections `eval` and `export` share: each turns a plan field on for every
/// layer that can take it, applied in the workbench's order (equalize, learned rounding, bias).
struct CorrectionFlags: ParsableArguments {
    @Flag(
        name: .long,
        help: "Correct the bias of every quantized layer that has one (as \"biasCorrection\": true in the plan).")
    var biasCorrection = false

    @Flag(
        name: .long,
        help: "Equalize every layer that can be with the next one (as \"equalize\": true in the plan).")
    var equalize = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Learn the rounding of every quantized affine Conv/Gemm/MatMul layer on the calibration set "
                + "(AdaRound; as \"rounding\": \"learned\" in the plan)."))
    var learnedRounding = false

    /// Whether any correction is asked for (the plan file is then not the plan applied).
    var anyOn: Bool { biasCorrection || equalize || learnedRounding }

    /// `plan` with the asked-for corrections turned on wherever `workbench` can apply them.
    func apply(to plan: QuantPlan, in workbench: Workbench) -> QuantPlan {
        var plan = plan
        if equalize { plan = workbench.withEqualization(plan) }
        if learnedRounding { plan = workbench.withLearnedRounding(plan) }
        if biasCorrection { plan = workbench.withBiasCorrection(plan) }
        return plan
    }
}

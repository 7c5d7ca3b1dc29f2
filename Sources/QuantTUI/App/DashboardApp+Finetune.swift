import Foundation
import QuantCore

/// The dashboard's fine-tuning (`T`): where its model and preset go, and its end.
extension DashboardApp {
    /// Starts fine-tuning `plan` into a new model beside the presets, or says why it cannot.
    func startFinetune(_ plan: QuantPlan) {
        guard let finetune = finetuneSetup else {
            return dispatch(
                .finetune(
                    .failed(
                        "no training data: start the dashboard with --train-data FILE (the held-out data is never "
                            + "trained on)")))
        }
        guard let persistence else { return dispatch(.finetune(.failed("no sessions folder to write the model to"))) }
        do {
            let destination = try persistence.finetuneDestination()
            finetunePreset = destination.preset
            finetuneRunner.start(
                plan, training: finetune.training.load, trainingName: finetune.training.name,
                output: destination.model, options: finetune.options)
        } catch {
            dispatch(.finetune(.failed(DashboardApp.describe(error))))
        }
    }

    /// Saves the preset of a finished fine-tuning and folds the outcome in.
    func finishFinetune(_ summary: FinetuneRunner.Summary) {
        guard summary.keptEpoch > 0, let persistence, let name = finetunePreset else {
            return dispatch(.finetuneFinished(summary, preset: nil, problem: nil))
        }
        do {
            let saved = try persistence.saveFinetuned(summary, preset: name)
            dispatch(.finetuneFinished(summary, preset: saved, problem: nil))
        } catch {
            dispatch(.finetuneFinished(summary, preset: nil, problem: DashboardApp.describe(error)))
        }
    }
}

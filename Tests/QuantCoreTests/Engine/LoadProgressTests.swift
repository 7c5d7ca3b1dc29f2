import Foundation
import Testing

@testable import QuantCore

/// Progress while opening files: reading a model, decoding its weights, hashing files.
@Suite struct LoadProgressTests {
    /// Collects reports from any thread.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [EngineProgress] = []
        var reports: [EngineProgress] { lock.withLock { stored } }
        func record(_ progress: EngineProgress) { lock.withLock { stored.append(progress) } }
    }

    @Test func loadingTheDemoCNNReportsReadingThenEveryWeight() throws {
        let url = try BundledModel.cnn.url
        let recorder = Recorder()
        let graph = try ONNXModel.load(contentsOf: url, progress: LoadProgress(recorder.record))
        let plain = try ONNXModel.load(contentsOf: url)
        #expect(graph.initializers.keys.sorted() == plain.initializers.keys.sorted())
        #expect(graph.nodes.count == plain.nodes.count)

        let reading = recorder.reports.filter { $0.phase == .readingModel }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        let mebibytes = (size + (1 << 20) - 1) >> 20
        #expect(reading.first?.done == 0)
        #expect(reading.last?.done == mebibytes)
        #expect(reading.allSatisfy { $0.total == mebibytes && $0.phase.unit == "MiB" })

        let decoding = recorder.reports.filter { $0.phase == .decodingWeights }
        // One report before each weight and one at the end, rising to the MiB of all weights.
        let stored = try Onnx_ModelProto(serializedBytes: Data(contentsOf: url)).graph.initializer
        #expect(decoding.count == stored.count + 1)
        let weightBytes = stored.reduce(0) { $0 + $1.rawData.count + 4 * $1.floatData.count + 8 * $1.int64Data.count }
        #expect(weightBytes > 4 * graph.parameterCount / 2)
        #expect(decoding.last?.total == (weightBytes + (1 << 20) - 1) >> 20)
        #expect(decoding.last?.done == decoding.last?.total)
        #expect(zip(decoding, decoding.dropFirst()).allSatisfy { $0.done <= $1.done })
        // Reading comes before decoding.
        let phases = recorder.reports.map(\.phase)
        #expect(phases.lastIndex(of: .readingModel)! < phases.firstIndex(of: .decodingWeights)!)
    }

    @Test func hashingReportsTheMiBOfAllFilesAndGivesTheSameDigest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("load-progress-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("a.bin"), second = folder.appendingPathComponent("b.bin")
        try Data(repeating: 7, count: 3 << 20).write(to: first)  // 3 MiB
        try Data(repeating: 9, count: (1 << 20) + 5).write(to: second)  // 1 MiB and 5 bytes
        let recorder = Recorder()
        let digest = try FileDigest.sha256(ofConcatenated: [first, second], progress: LoadProgress(recorder.record))
        #expect(digest == (try FileDigest.sha256(ofConcatenated: [first, second])))
        let reports = recorder.reports
        #expect(reports.allSatisfy { $0.phase == .hashing && $0.total == 5 })
        #expect(reports.last?.done == 5)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.done <= $1.done })
    }

    @Test func aPhaseTimesItselfFromItsOwnStart() {
        final class Clock: @unchecked Sendable { var time = 100.0 }
        let clock = Clock()
        let recorder = Recorder()
        let progress = LoadProgress(now: { clock.time }, recorder.record)
        clock.time = 105
        let phase = progress.phase(.hashing, total: 10)
        clock.time = 107
        phase(4)
        let report = try! #require(recorder.reports.last)
        #expect(report.elapsedSeconds == 2)
        #expect(report.remainingSeconds == 3)
        #expect(report.summary == "hashing 4/10 MiB · 3.0 s left")
    }
}

import Foundation

/// A batch split over threads: every image's integer pass is independent of the others', so
/// pieces of the batch run the whole model each on one thread — no wait between layers, and the
/// steps outside the C kernels (input codes, pooling, Add) run in parallel too. Workers claim
/// pieces as they finish, so a core the machine slows down takes fewer. The codes are the same
/// as one pass over the whole batch (every kernel gives the reference's bits).
extension IntegerModel {
    /// Pieces per thread: small enough to balance a busy machine, large enough that each fills
    /// the kernels' 16-position panels.
    static let piecesPerThread = 4
    /// Images a piece gets at least (while each thread gets one): a deep layer's weights
    /// (megabytes, read once per call of its kernel) serve several images. On the
    /// ResNet-18-sized stack's batches of 32, pieces of 4 images measured 0.76-1.18x
    /// onnxruntime's time, pieces of 8 0.91-0.96x (BENCHMARKS.md).
    static let minimumPieceImages = 8

    /// Whether `outputCodes` splits a batch of `batch` images over the threads (rather than each
    /// layer's positions): at least two images per thread.
    func splitsBatch(_ batch: Int) -> Bool { threads > 1 && batch >= 2 * threads }

    /// Seconds of one-thread work below which a batch is not split at all. Waking a parked
    /// thread costs the waker a 50 µs system call on this project's VMs, and the woken thread
    /// starts later still: demo-mlp's batches of 250 digits (0.4 ms on one thread) took 2.70 ms
    /// for four on two threads against 1.70 on one, while demo-cnn's (2.8 ms) gained a third
    /// (BENCHMARKS.md, "Whole tiles in the byte path").
    static let minimumSplitSeconds = 0.001

    /// Whether the measured pace puts a batch of `batch` images under `minimumSplitSeconds` (no
    /// pace yet: not small, and the split's first piece measures it).
    func batchIsSmall(_ batch: Int) -> Bool {
        guard let perImage = pace.secondsPerImage else { return false }
        return perImage * Double(batch) < Self.minimumSplitSeconds
    }

    /// `outputCodes` of `input` wholly on the calling thread, its pace recorded.
    func outputCodesOnThisThread(_ input: Tensor) throws -> IntegerTensor {
        var single = self
        single.threads = 1
        let started = ContinuousClock.now
        let codes = try single.outputCodes(quantized: IntegerKernels.quantize(input, with: inputQuantization))
        pace.record(seconds: (ContinuousClock.now - started).seconds, images: input.shape.first ?? 1)
        return codes
    }

    /// `outputCodes` of `input` with its batch split over `threads` threads.
    ///
    /// - Throws: a piece's error, or `IntegerLoweringError` when the output is not batch-major
    ///   (a Reshape that folds the batch in); `outputCodes` then runs the batch whole.
    func outputCodesSplittingBatch(_ input: Tensor) throws -> IntegerTensor {
        let batch = input.shape[0]
        let count = min(batch, threads * Self.piecesPerThread, max(threads, batch / Self.minimumPieceImages))
        let ranges = (0..<count).map { (batch * $0 / count)..<(batch * ($0 + 1) / count) }
        let single = {
            var model = self
            model.threads = 1
            return model
        }()
        let pieces = BatchPieces(count: count)
        WorkerPool.shared.run(workerCount: threads, latecomersSkipped: true) { _ in
            while let index = pieces.claim() {
                // Each piece quantizes its own images, read in place (no copy of the batch); the
                // first one's time is the pace (its thread alone on it, as a one-thread pass).
                let started = index == 0 ? ContinuousClock.now : nil
                pieces.finish(
                    index,
                    Result {
                        try single.outputCodes(
                            quantized: IntegerKernels.quantize(
                                input, rows: ranges[index], with: single.inputQuantization))
                    })
                if let started {
                    pace.record(seconds: (ContinuousClock.now - started).seconds, images: ranges[index].count)
                }
            }
        }
        let outputs = try pieces.results.map { try $0!.get() }
        guard let first = outputs.first, zip(outputs, ranges).allSatisfy({ $0.shape.first == $1.count }) else {
            throw IntegerLoweringError("the integer model's output is not one row per image")
        }
        return IntegerTensor(
            shape: [batch] + first.shape.dropFirst(), codes: Array(outputs.map(\.codes).joined()),
            quantization: first.quantization)
    }
}

/// The pieces of one split batch: which is next, and each one's codes or error.
private final class BatchPieces: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private(set) var results: [Result<IntegerTensor, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// The next piece nobody has claimed, or `nil`.
    func claim() -> Int? {
        lock.withLock {
            guard next < results.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func finish(_ index: Int, _ result: Result<IntegerTensor, Error>) {
        lock.withLock { results[index] = result }
    }
}

/// The integer model's measured one-thread seconds per image (the latest batch's), for the
/// decision to split a batch over threads. A cache beside the model's value: every two paces
/// compare equal.
final class IntegerPace: @unchecked Sendable, Equatable {
    private let lock = NSLock()
    private var perImage: Double?

    var secondsPerImage: Double? { lock.withLock { perImage } }

    func record(seconds: Double, images: Int) {
        guard images > 0, seconds.isFinite, seconds >= 0 else { return }
        lock.withLock { perImage = seconds / Double(images) }
    }

    static func == (_: IntegerPace, _: IntegerPace) -> Bool { true }
}

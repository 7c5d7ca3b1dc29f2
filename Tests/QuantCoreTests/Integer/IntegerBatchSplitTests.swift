import Testing

@testable import QuantCore

/// A batch on several threads (IntegerModel+Batches): split into pieces, or kept on the calling
/// thread when the measured pace says it is too small to pay for waking another; the codes are
/// the one-thread pass's either way.
@Suite struct IntegerBatchSplitTests {
    static func models() throws -> (single: IntegerModel, split: IntegerModel, batch: Tensor) {
        let workbench = try IntegerLoweringTests.workbench(.cnn, heldOut: 40)
        var (_, single) = try workbench.integerModel(for: IntegerLoweringTests.int8Plan)
        single.threads = 1
        var split = single
        split.threads = 2
        return (single, split, try workbench.heldOut.images(in: 0..<40))
    }

    @Test func theFirstSplitBatchMeasuresThePace() throws {
        let (single, split, batch) = try Self.models()
        let split2 = split  // a copy shares the pace
        #expect(split.pace.secondsPerImage == nil)
        #expect(split.splitsBatch(40) && !split.batchIsSmall(40))
        #expect(try split.outputCodes(batch) == single.outputCodes(batch))
        let perImage = try #require(split2.pace.secondsPerImage)
        #expect(perImage > 0 && perImage < 1)
        #expect(split == split2 && split.threads != single.threads)
    }

    @Test func aBatchUnderAWakeUpsWorthStaysOnThisThread() throws {
        let (single, split, batch) = try Self.models()
        split.pace.record(seconds: 1e-6, images: 1)  // 40 images: 40 µs
        #expect(split.batchIsSmall(40))
        #expect(try split.outputCodes(batch) == single.outputCodes(batch))
        let measured = try #require(split.pace.secondsPerImage)
        #expect(measured != 1e-6)  // the one-thread pass recorded its own
        split.pace.record(seconds: 1, images: 1)
        #expect(!split.batchIsSmall(2) && split.splitsBatch(40))
        #expect(try split.outputCodes(batch) == single.outputCodes(batch))
        split.pace.record(seconds: -1, images: 1)  // nonsense is ignored
        split.pace.record(seconds: 1, images: 0)
        #expect(split.pace.secondsPerImage != nil && split.pace.secondsPerImage! < 1)
    }
}

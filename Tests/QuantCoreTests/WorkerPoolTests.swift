import Foundation
import Testing

@testable import QuantCore

/// Every worker index runs exactly once per job, on distinct threads when the pool is free.
@Suite struct WorkerPoolTests {
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var workers: [Int] = []
        var threads: Set<String> = []

        func add(_ worker: Int) {
            lock.withLock {
                workers.append(worker)
                threads.insert("\(Unmanaged.passUnretained(Thread.current).toOpaque())")
            }
        }
    }

    @Test func everyWorkerRunsOnce() {
        let pool = WorkerPool(helperCount: 3)
        for round in 0..<200 {
            let record = Record()
            let count = 1 + round % 4
            pool.run(workerCount: count) { record.add($0) }
            #expect(record.workers.sorted() == Array(0..<count))
            #expect(record.threads.count == count)  // the caller plus one helper per further worker
        }
    }

    @Test func moreWorkersThanThreadsRunOnTheCaller() {
        let pool = WorkerPool(helperCount: 1)
        let record = Record()
        pool.run(workerCount: 5) { record.add($0) }
        #expect(record.workers == [0, 1, 2, 3, 4])
        #expect(record.threads.count == 1)
    }

    /// A body that claims shared work: every piece is done exactly once whether or not the
    /// helper wakes in time, and the pool runs the next job normally afterwards.
    @Test func skippedLatecomersLeaveNoPieceUndoneAndThePoolUsable() {
        let pool = WorkerPool(helperCount: 1)
        for round in 0..<500 {
            let lock = NSLock()
            var next = 0
            var done: [Int] = []
            let pieces = 1 + round % 9
            pool.run(workerCount: 2, latecomersSkipped: true) { _ in
                while let piece = lock.withLock({ () -> Int? in
                    guard next < pieces else { return nil }
                    defer { next += 1 }
                    return next
                }) {
                    lock.withLock { done.append(piece) }
                }
            }
            #expect(done.sorted() == Array(0..<pieces))
            let record = Record()
            pool.run(workerCount: 2) { record.add($0) }
            #expect(record.workers.sorted() == [0, 1])
        }
    }
}

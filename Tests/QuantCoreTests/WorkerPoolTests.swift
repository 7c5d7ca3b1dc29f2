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
}

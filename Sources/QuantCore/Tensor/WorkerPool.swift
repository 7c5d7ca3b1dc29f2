import CKernels
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fixed set of parked threads that run one job at a time, split by worker index.
///
/// `DispatchQueue.concurrentPerform` hands iterations to whichever threads are awake; for jobs of
/// a few hundred microseconds (a held-out batch of a small model) the calling thread often takes
/// every iteration before a pool thread wakes, so "two threads" silently ran on one. Here each
/// worker index is bound to one thread, so the split is exactly what the caller asked for.
///
/// One job runs at a time; a caller that finds the pool busy (another evaluation, parallel tests)
/// runs its worker indices itself, one after another, rather than wait.
final class WorkerPool: @unchecked Sendable {
    /// One pool for the process, with a thread per active processor beyond the caller's.
    static let shared = WorkerPool(helperCount: max(ProcessInfo.processInfo.activeProcessorCount - 1, 0))

    /// A job handed to the helpers.
    private struct Job: @unchecked Sendable {
        let body: (Int) -> Void
        let workerCount: Int
    }

    /// Helper threads (the caller is worker 0).
    let helperCount: Int
    private let condition = NSCondition()
    private let runLock = NSLock()
    private var job: Job?
    /// Workers taking part in the current job (0 when none).
    private var jobWorkerCount = 0
    private var generation = 0
    private var unfinished = 0
    /// Helpers that have taken the current job (they are waited for even when latecomers are skipped).
    private var started = 0
    /// Lock-free mirrors of `generation` (index 0, truncated) and `unfinished` (index 1), read
    /// by spinning waits before a thread parks on `condition`; written under its lock.
    private let mirrors: UnsafeMutablePointer<Int32> = {
        let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        pointer.initialize(repeating: 0, count: 2)
        return pointer
    }()
    /// How long a thread spins for what it waits for before parking: about a millisecond. A
    /// parked thread takes tens of microseconds to wake on a virtual machine, a noticeable
    /// share of a small model's pass; the dashboard's evaluations come back to back.
    private static let spinLimit = 50_000

    /// Starts `helperCount` parked threads.
    init(helperCount: Int) {
        self.helperCount = helperCount
        for helper in 0..<helperCount {
            let thread = Thread { [self] in loop(worker: helper + 1) }
            thread.name = "quantdash.worker.\(helper + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Calls `body(worker)` for every `worker` in `0..<workerCount`, worker 0 on the calling
    /// thread and the others on the pool's threads (all on the caller when the pool is busy or
    /// too small), and returns when all have returned.
    ///
    /// With `latecomersSkipped`, for bodies that claim shared work until none is left (so worker
    /// 0 alone finishes the job): a helper that has not started when worker 0 returns is not
    /// waited for and its index is skipped. On a loaded machine a parked thread can take
    /// milliseconds to be scheduled, longer than a small model's whole batch.
    func run(workerCount: Int, latecomersSkipped: Bool = false, _ body: (Int) -> Void) {
        guard workerCount > 1, workerCount <= helperCount + 1, runLock.try() else {
            for worker in 0..<max(workerCount, 1) { body(worker) }
            return
        }
        defer { runLock.unlock() }
        withoutActuallyEscaping(body) { body in
            condition.lock()
            job = Job(body: body, workerCount: workerCount)
            jobWorkerCount = workerCount
            unfinished = workerCount - 1
            started = 0
            generation += 1
            ck_atomic_store(mirrors, Int32(truncatingIfNeeded: generation))
            ck_atomic_store(mirrors + 1, Int32(unfinished))
            condition.broadcast()
            condition.unlock()
            body(0)
            if latecomersSkipped { withdrawFromLatecomers() }
            _ = ck_spin_until_equal(mirrors + 1, 0, WorkerPool.spinLimit)
            condition.lock()
            while unfinished > 0 { condition.wait() }
            job = nil
            jobWorkerCount = 0
            condition.unlock()
        }
    }

    /// Takes the job back from the helpers that have not started it: they skip it when they wake.
    private func withdrawFromLatecomers() {
        condition.lock()
        unfinished -= jobWorkerCount - 1 - started
        jobWorkerCount = 0
        job = nil
        ck_atomic_store(mirrors + 1, Int32(unfinished))
        condition.unlock()
    }

    private func loop(worker: Int) {
        // Like Dispatch's threads, ours take no signals: they go to the threads that wait for
        // them (the terminal supervisor's sigwait, the dashboard's handlers).
        #if canImport(Glibc)
            var everything = sigset_t()
            sigfillset(&everything)
            pthread_sigmask(SIG_BLOCK, &everything, nil)
        #endif
        var seen = 0
        while true {
            _ = ck_spin_while_equal(mirrors, Int32(truncatingIfNeeded: seen), WorkerPool.spinLimit)
            condition.lock()
            while generation == seen { condition.wait() }
            seen = generation
            // Only participants touch the job: `withoutActuallyEscaping` in `run` traps if any
            // reference to the body outlives it, so a helper drops its copy before reporting done.
            var taken = worker < jobWorkerCount ? job : nil
            if taken != nil { started += 1 }
            condition.unlock()
            guard taken != nil else { continue }
            taken?.body(worker)
            taken = nil
            condition.lock()
            unfinished -= 1
            ck_atomic_store(mirrors + 1, Int32(unfinished))
            if unfinished == 0 { condition.broadcast() }
            condition.unlock()
        }
    }
}

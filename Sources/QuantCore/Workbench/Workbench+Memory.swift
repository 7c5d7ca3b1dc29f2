import CKernels

extension Workbench {
    /// Makes glibc keep buffers up to 256 MiB in the heap instead of fresh `mmap`s, done once
    /// when the first workbench is created.
    ///
    /// Every change allocates a few layer-sized arrays (codes, dequantized weights, masks); with
    /// glibc's default they are mapped and unmapped each time, and touching the new pages costs
    /// more than the quantization itself (page faults were 15–20 % of a 1 M-weight layer report).
    /// Freed heap memory is reused by the next change instead; it is returned to the system when
    /// more than 512 MiB sits free at the top of the heap. All threads share the main arena: a
    /// worker thread's own arena grows in heaps of at most 64 MiB, so a batch's larger activations
    /// were fresh maps there, page-faulted on every pass (5–13 % of an ImageNet-size float pass).
    static let keepsLargeBuffersInHeap: Bool = ck_keep_large_buffers_in_heap(256 << 20, 512 << 20) == 1
}

// glibc allocation policy for large, short-lived buffers (see Workbench+Memory.swift).
#include "ckernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int ck_keep_large_buffers_in_heap(size_t mmap_threshold, size_t trim_threshold) {
#if defined(__GLIBC__)
    // One arena for every thread: a worker thread's own arena grows in heaps of at most 64 MiB,
    // so its larger buffers (a batch's activations) were fresh mmaps, page-faulted on every use.
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1 &&
           mallopt(M_ARENA_MAX, 1) == 1;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}

// MARK: spinning waits (WorkerPool)

int ck_spin_while_equal(const int *value, int unchanged, long spins) {
    for (long i = 0; i < spins; ++i) {
        if (__atomic_load_n(value, __ATOMIC_ACQUIRE) != unchanged) return 1;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
    return __atomic_load_n(value, __ATOMIC_ACQUIRE) != unchanged;
}

int ck_spin_until_equal(const int *value, int target, long spins) {
    for (long i = 0; i < spins; ++i) {
        if (__atomic_load_n(value, __ATOMIC_ACQUIRE) == target) return 1;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
    return __atomic_load_n(value, __ATOMIC_ACQUIRE) == target;
}

void ck_atomic_store(int *value, int new_value) { __atomic_store_n(value, new_value, __ATOMIC_RELEASE); }

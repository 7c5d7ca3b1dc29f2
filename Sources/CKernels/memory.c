// glibc allocation policy for large, short-lived buffers (see Workbench+Memory.swift).
#include "ckernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int ck_keep_large_buffers_in_heap(size_t mmap_threshold, size_t trim_threshold) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}

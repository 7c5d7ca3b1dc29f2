#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer): parses the command line and
/// runs `callback` on every generated input. Called from each fuzzer's `main` because SwiftPM
/// renames an executable's entry point, which keeps libFuzzer's own `main` from being linked.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif

// The shim is header-only (static inline wrappers); this file gives SwiftPM a C source to build.
#include "shim.h"

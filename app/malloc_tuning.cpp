#include "app/malloc_tuning.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace mailactor::app {

// Message content moves between threads in pieces of up to 64 KiB (a read, a spool chunk) and
// is freed on another thread than the one that allocated it. With glibc's defaults (trim at
// 128 KiB, a dynamic mmap threshold) each arena gave such memory back with madvise and page-
// faulted it in again for the next message: smtp-source W2 169-174 vs 191-202 us of CPU per
// message and W3 (100 KiB) 573-610 vs 683-733 with these settings, two runs each. What an arena
// keeps is bounded by the trim threshold.
void tune_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) return;
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
}

}  // namespace mailactor::app

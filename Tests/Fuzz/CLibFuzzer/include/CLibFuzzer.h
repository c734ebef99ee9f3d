// libFuzzer's driver, for the fuzz targets' entry points (Tests/Fuzz).
//
// SwiftPM links an executable target with --defsym main=<Module>_main, so libFuzzer's own main
// is never used: each target defines <Module>_main and hands its arguments and its
// LLVMFuzzerTestOneInput to the driver. Defined by the libFuzzer runtime that
// -sanitize=fuzzer links in (compiler-rt, LLVM 11 and later).
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif

// Nothing to compile: CLibFuzzer.h declares what the libFuzzer runtime defines. A C target needs
// one source file.
#include "CLibFuzzer.h"

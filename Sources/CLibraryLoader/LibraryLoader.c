// Shared libraries that only some commands use, loaded when one of them first calls in.
//
// keyrack-cli used to name libtss2 (ESYS, SYS, MU, RC, the TCTI loader) and libykpiv in its
// DT_NEEDED list, so the dynamic loader mapped and relocated them, BIND_NOW, before every command,
// also `--version` and every age-owner `unlock`: 1 163 of the 6 691 symbol bindings at start-up
// and about 1.5 M + 0.3 M instructions (callgrind of a C program that links the same libraries,
// 7.0 M with them, 5.0 M without). Only commands that touch a TPM or a card need them. The
// functions CTSS2 and CYKPIV export have the libraries' own prototypes (their headers declare
// them, so a mismatch does not compile) and jump to the real ones, looked up here once each.
//
// Same trust as DT_NEEDED: the same sonames (one ABI major), searched the same way (the
// executable's RUNPATH, then the system's paths; RTLD_LOCAL keeps their symbols out of the
// global scope), and RTLD_NOW so a missing symbol is found at load, not mid-operation.
#include "library_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void *keyrack_library_symbol(const char *soname, const char *package, const char *symbol) {
    // dlopen of a library already loaded only counts a reference: each wrapper asks once.
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    void *address = library ? dlsym(library, symbol) : NULL;
    if (address) return address;
    const char *why = dlerror();
    fprintf(stderr, "error: cannot load %s from %s (%s): install the package %s (Debian; scripts/install-deps installs it)\n",
            symbol, soname, why ? why : "not found", package);
    exit(1);
}

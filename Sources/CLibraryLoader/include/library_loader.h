#pragma once
// Shared libraries loaded on first use instead of at start-up (CTSS2, CYKPIV): see LibraryLoader.c.

/// The address of `symbol` in the shared library `soname`, which is loaded the first time one of
/// its symbols is asked for. When the library or the symbol cannot be found, prints one line
/// naming it and the Debian `package` that installs it on stderr and exits 1.
__attribute__((visibility("hidden")))
void *keyrack_library_symbol(const char *soname, const char *package, const char *symbol);

/// `*slot` once set, else `keyrack_library_symbol(…)` stored there: each deferred function keeps
/// the real one's address in a slot of its own.
static inline void *keyrack_deferred(void **slot, const char *soname, const char *package, const char *symbol) {
    void *address = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!address) {
        address = keyrack_library_symbol(soname, package, symbol);
        __atomic_store_n(slot, address, __ATOMIC_RELEASE);
    }
    return address;
}

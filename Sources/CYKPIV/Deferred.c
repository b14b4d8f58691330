// Written from the prototypes in <ykpiv/ykpiv.h>: one function per libykpiv call keyrack makes, with the
// library's own name and signature, that calls the real one (resolved on first use, see
// Sources/CLibraryLoader). A call to a function not listed here fails to link: add it here.
#include "library_loader.h"
// The C library's headers the libraries' headers include, first, so their declarations stay default.
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
// Hidden: the functions below satisfy keyrack's own calls and are never exported, so the real
// library, once loaded, can never bind its own calls to them (whatever --export-dynamic says).
#pragma GCC visibility push(hidden)
#include "shim.h"

// The real function: its address, looked up the first time through (a race looks it up twice).
#define DEFERRED(name, soname, package) ((__typeof__(&name))keyrack_deferred(&real, soname, package, #name))

ykpiv_rc ykpiv_authenticate(ykpiv_state *state, const unsigned char *key) {
    static void *real;
    return DEFERRED(ykpiv_authenticate, "libykpiv.so.2", "libykpiv2")(state, key);
}

ykpiv_rc ykpiv_connect_with_external_card(ykpiv_state *state, uintptr_t context, uintptr_t card) {
    static void *real;
    return DEFERRED(ykpiv_connect_with_external_card, "libykpiv.so.2", "libykpiv2")(state, context, card);
}

ykpiv_rc ykpiv_done_with_external_card(ykpiv_state *state) {
    static void *real;
    return DEFERRED(ykpiv_done_with_external_card, "libykpiv.so.2", "libykpiv2")(state);
}

ykpiv_rc ykpiv_init(ykpiv_state **state, int verbose) {
    static void *real;
    return DEFERRED(ykpiv_init, "libykpiv.so.2", "libykpiv2")(state, verbose);
}

ykpiv_rc ykpiv_transfer_data(ykpiv_state *state, const unsigned char *templ, const unsigned char *in_data, long in_len, unsigned char *out_data, unsigned long *out_len, int *sw) {
    static void *real;
    return DEFERRED(ykpiv_transfer_data, "libykpiv.so.2", "libykpiv2")(state, templ, in_data, in_len, out_data, out_len, sw);
}

ykpiv_rc ykpiv_util_free(ykpiv_state *state, void *data) {
    static void *real;
    return DEFERRED(ykpiv_util_free, "libykpiv.so.2", "libykpiv2")(state, data);
}

ykpiv_rc ykpiv_util_generate_key(ykpiv_state *state, uint8_t slot, uint8_t algorithm, uint8_t pin_policy, uint8_t touch_policy, uint8_t **modulus, size_t *modulus_len, uint8_t **exp, size_t *exp_len, uint8_t **point, size_t *point_len) {
    static void *real;
    return DEFERRED(ykpiv_util_generate_key, "libykpiv.so.2", "libykpiv2")(state, slot, algorithm, pin_policy, touch_policy, modulus, modulus_len, exp, exp_len, point, point_len);
}

#pragma GCC visibility pop

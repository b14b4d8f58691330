#pragma once
// Nothing to import: Deferred.c's __wrap_ functions are reached through keyrack-cli's link
// (`--wrap`), and Swift calls libcrypto through COpenSSLCrypto's own declarations.

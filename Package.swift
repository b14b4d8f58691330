// swift-tools-version:6.0
// keyrack: per-owner, hardware-token-first credential rack. See docs/architecture.md.
//
// Dependencies are deliberate and few:
//  - swift-argument-parser: the CLI.
//  - swift-crypto 4: X25519, Ed25519, P-256, ChaCha20-Poly1305, HKDF, scrypt, AES, RSA, and the
//    X-Wing KEM + HPKE that age's post-quantum recipients need.
//  - swift-certificates: X.509 for PIV slot certificates and attestation (the simulator and the
//    YubiKey setup both write certificates; hand-rolled DER would be a second, riskier parser).
//  - swift-nio + swift-nio-ssl (NIOPosix, NIOHTTP1, NIOSSL), for the OpenBao / Vault vault only
//    (Sources/KeyrackOpenBao, linked by keyrack-cli, never by the `get` front end): its `cert`
//    login is mutual TLS whose CertificateVerify signature is made on the YubiKey, and
//    NIOSSLCustomPrivateKey is the one TLS client on this machine that hands the signature to our
//    code (Foundation's URLSession cannot; OpenSSL would need an engine or provider in C).
//    Plain NIOHTTP1 rather than async-http-client: AHC sits on these same packages and adds
//    nio-http2, nio-extras, nio-transport-services, swift-log, swift-algorithms and tracing, for
//    features (pools, redirects, HTTP/2) a handful of sequential requests to one server never use.
//    Cost measured from scratch on 2 cores: see docs/openbao.md ("Build cost").
// C libraries come from Debian (scripts/install-deps) through the four system-library shims.
import PackageDescription

// The Foundation-free targets (SecretBytes, Locking, ProcessSpawn, KeyrackNames, KeyrackYAML,
// KeyrackDaemon, KeyrackClient, TPM, AgePlugin and the two small executables), and AgeFormat,
// AgeSSH, KeyrackOutput, KeyrackHelp and KeyrackPresentation, build in Swift 6
// language mode: its data-race checking holds there, and a type is Sendable because it is, not
// because it says so. The rest stays in the package-wide Swift 5 mode below (issue 26 moves them
// one by one).
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]
// The libcrypto functions keyrack calls. The dynamic binaries (keyrack-cli, age-plugin-keyrack)
// are linked with `--wrap` for each, so the calls land on Sources/CLibcryptoDeferred, which loads
// libcrypto the first time one is made; the static keyrack-age links libcrypto itself. A name
// missing here, or here without its __wrap_ function there, fails keyrack-cli's link.
let libcryptoDeferred: [LinkerSetting] = [.unsafeFlags([
    "BN_CTX_free", "BN_CTX_secure_new", "BN_bin2bn", "BN_clear_free", "BN_cmp", "BN_is_one",
    "BN_mod_inverse", "BN_mod_mul", "BN_mul", "BN_nnmod", "BN_num_bits", "BN_secure_new",
    "BN_set_flags", "BN_sub_word", "EVP_CIPHER_CTX_ctrl", "EVP_CIPHER_CTX_free", "EVP_CIPHER_CTX_get0_cipher", "EVP_CIPHER_CTX_new",
    "EVP_CIPHER_fetch", "EVP_CIPHER_free", "EVP_CipherInit_ex", "EVP_DecryptFinal_ex", "EVP_DecryptUpdate", "EVP_EncryptFinal_ex",
    "EVP_EncryptUpdate", "EVP_PKEY_CTX_free", "EVP_PKEY_CTX_new_from_name", "EVP_PKEY_CTX_new_from_pkey", "EVP_PKEY_decrypt", "EVP_PKEY_decrypt_init_ex",
    "EVP_PKEY_encrypt", "EVP_PKEY_encrypt_init_ex", "EVP_PKEY_free", "EVP_PKEY_fromdata", "EVP_PKEY_fromdata_init", "OSSL_PARAM_BLD_free",
    "OSSL_PARAM_BLD_new", "OSSL_PARAM_BLD_push_BN", "OSSL_PARAM_BLD_to_param", "OSSL_PARAM_construct_end", "OSSL_PARAM_construct_octet_string", "OSSL_PARAM_construct_utf8_string",
    "OSSL_PARAM_free"
].flatMap { ["-Xlinker", "--wrap=\($0)"] })]

let package = Package(
    name: "keyrack",
    platforms: [.macOS(.v14)],
    products: [
        // `keyrack` is a small Foundation-free front end that answers `get` itself and execs
        // `keyrack-cli` (installed next to it) for everything else; see Sources/keyrack-front.
        .executable(name: "keyrack", targets: ["keyrack"]),
        .executable(name: "keyrack-cli", targets: ["keyrack-cli"]),
        // `age encrypt|decrypt` with X25519 keys, exec'd by `keyrack`; installed next to it.
        .executable(name: "keyrack-age", targets: ["keyrack-age"]),
        .executable(name: "keyrack-piv-sim", targets: ["keyrack-piv-sim"]),
        // The age plugin (identity side) through which age clients decrypt with an owner's
        // identity held by its daemon; installed next to `keyrack`. See docs/age-agent.md.
        .executable(name: "age-plugin-keyrack", targets: ["age-plugin-keyrack"]),
        // For the fuzz package in Fuzz/ (built apart, with sanitizers): a package can only use
        // another package's products, so the parsers it fuzzes are exposed here.
        .library(name: "KeyrackParsers", targets: ["AgeFormat", "AgeSSH", "PIVSimulator", "KeyrackCore", "KeyrackYAML", "KeyrackDaemon", "KeyrackNames", "KeyrackOutput"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        // Already a dependency of swift-crypto and swift-certificates; named here because the
        // certificate code builds DER extensions (the PIV policy OID) with it directly.
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.98.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // System-library shims: a module map and a header, nothing else.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // libykpiv and libtss2 (below) are loaded when a command first calls into them, not at
        // start-up: C targets whose functions have the libraries' names and forward to them
        // (Sources/CLibraryLoader says why: --version, unlock of an age owner never need them).
        .target(name: "CYKPIV", dependencies: ["CLibraryLoader"]),
        .target(name: "CLibraryLoader"),
        .systemLibrary(name: "CPCSC", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // The TCG software stack (tpm2-tss): ESYS, the TCTI loader, MU, RC. For TPM 2.0 owners.
        .target(name: "CTSS2", dependencies: ["CLibraryLoader"]),
        // OpenSSL's libcrypto, for STREAM's ChaCha20-Poly1305: its AVX-512 code seals and opens
        // about twice the bytes per core of BoringSSL's AVX2 (see ChunkCipher); and for ssh-rsa's
        // RSA-OAEP with a label (AgeSSH/RSAOAEP).
        // Headers only: who links libcrypto, and how, is each binary's choice (libcryptoDeferred above).
        .systemLibrary(name: "COpenSSLCrypto"),
        .target(name: "CLibcryptoDeferred", dependencies: ["CLibraryLoader"]),

        // age v1: header, stanzas, armor, STREAM, bech32, X25519, scrypt, mlkem768x25519.
        // swift-crypto for everything but the payload, whose chunks libcrypto seals in place
        // (libsodium a short last chunk: no OpenSSL provider set-up for a manifest, see ChunkCipher).
        .target(name: "AgeFormat", dependencies: [
            "COpenSSLCrypto", "CSodium",
            "Locking",  // the pipeline's Monitor and CPUs
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: swift6),
        // ssh-ed25519 / ssh-rsa recipients and OpenSSH key parsing (as age's agessh package).
        // libsodium for the Ed25519 → X25519 public-key map (with point validation), which
        // swift-crypto lacks; libcrypto for ssh-rsa's RSA-OAEP, whose label swift-crypto cannot
        // set; swift-asn1 for PKCS#1 (PEM) RSA keys.
        .target(name: "AgeSSH", dependencies: [
            "AgeFormat", "CSodium", "COpenSSLCrypto", "SecretBytes",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ], swiftSettings: swift6),
        // The one way secret bytes are held and wiped (zeroize, wipe, wipeStorage, LockedBytes),
        // Foundation-free: the `get` front end and the PIV client use it too.
        .target(name: "SecretBytes", dependencies: ["CSodium"], swiftSettings: swift6),
        // The one lock of shared state (`Locked`, an adaptive pthread mutex), so a class
        // holding its state in one is Sendable as the compiler checks it (issue 26).
        .target(name: "Locking", swiftSettings: swift6),
        // The one way keyrack starts another program (posix_spawn; argv, environment, standard
        // descriptors, captured output with a deadline), Foundation-free so the daemon launcher
        // shares it with the core, the app layer and the CLI. C's global `environ` is read in one
        // place (Spawn.inheritedEnvironment), which says when that is safe.
        .target(name: "ProcessSpawn", dependencies: ["SecretBytes"], swiftSettings: swift6),
        // PC/SC + libykpiv client: cards, slots, policies, PIN, ECDH, key generation.
        .target(name: "PIV", dependencies: [
            "CYKPIV", "CPCSC", "Locking", "SecretBytes",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // TPM 2.0 client over libtss2: P-256 keys under the storage root key, ECDH_ZGen, the
        // dictionary-attack counter. Knows no manifest and no age. Foundation-free.
        .target(name: "TPM", dependencies: ["CTSS2", "Locking", "SecretBytes"], swiftSettings: swift6),
        // piv-p256 recipients and identities as age-plugin-yubikey writes them.
        .target(name: "AgeYubiKey", dependencies: [
            "AgeFormat", "PIV", "SecretBytes",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The TPM identity (AGE-PLUGIN-TPM-1…, age-plugin-tpm's encoding) and its p256tag unwrap
        // on the TPM; the recipient is AgeYubiKey's age1tag1….
        .target(name: "AgeTPM", dependencies: [
            "AgeFormat", "AgeYubiKey", "TPM", "SecretBytes",
        ]),
        // The software YubiKey PIV applet and its vpcd bridge. Depends on nothing of keyrack.
        .target(name: "PIVSimulator", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .executableTarget(name: "keyrack-piv-sim", dependencies: ["PIVSimulator"]),

        // Owners, manifests (typed YAML), slugs, vaults, RecipientBackend (ssh, age, yubikey).
        // The strict libyaml reader and the repository file (.agent/keyrack.yml). No Foundation:
        // `keyrack get` reads the repository allowlist on every call.
        .target(name: "KeyrackYAML", dependencies: ["CYAML", "KeyrackNames"], swiftSettings: swift6),
        // The rules of owner and org names, Foundation-free, for the fast path and the core alike.
        .target(name: "KeyrackNames", swiftSettings: swift6),
        // swift-crypto (already linked) signs a GitHub App's RS256 JWT with its RSA key.
        .target(name: "KeyrackCore", dependencies: ["AgeFormat", "AgeSSH", "AgeYubiKey", "PIV", "TPM", "AgeTPM", "KeyrackYAML", "KeyrackNames", "ProcessSpawn", "SecretBytes", "Locking",
                                                    .product(name: "Crypto", package: "swift-crypto"),
                                                    .product(name: "_CryptoExtras", package: "swift-crypto")]),
        // Grant store, wire protocol, server and client. Knows grants, not vaults.
        .target(name: "KeyrackDaemon", dependencies: ["CSodium", "KeyrackNames", "Locking", "ProcessSpawn", "SecretBytes"], swiftSettings: swift6),

        // The OpenBao / Vault vault: KV v1/v2 over the HTTP API, token / AppRole / cert logins, the
        // TLS client whose client-certificate signature is delegated (to the card). Knows no PIV
        // and no manifest: the CLI passes a signer, an address and the login.
        .target(name: "KeyrackOpenBao", dependencies: [
            "KeyrackNames", "SecretBytes",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // What `get` says and does, shared by the front end and the full CLI so they cannot drift:
        // exit codes, one-line messages, the GET flow. No Foundation, no ArgumentParser.
        .target(name: "KeyrackClient", dependencies: ["KeyrackDaemon", "KeyrackYAML", "KeyrackNames", "SecretBytes"], swiftSettings: swift6),

        // The age plugin protocol (C2SP age-plugin.md): stanza framing, the identity-v1 state
        // machine, the AGE-PLUGIN-KEYRACK-1 identity. No ArgumentParser; it uses AgeFormat only
        // for age's strict base64 and Bech32, so it links Foundation through swift-crypto.
        .target(name: "AgePlugin", dependencies: ["AgeFormat", "SecretBytes"], swiftSettings: swift6),
        // Also answers as `age-plugin-tag` (a symlink): wrapping to age1tag1… needs AgeYubiKey's
        // p256tag recipient; and as `age-plugin-tpm`: unwrapping AGE-PLUGIN-TPM-1… on the TPM (AgeTPM).
        .executableTarget(name: "age-plugin-keyrack", dependencies: ["AgePlugin", "AgeFormat", "AgeYubiKey", "AgeTPM", "TPM", "KeyrackClient", "KeyrackDaemon", "KeyrackNames", "SecretBytes",
                                                                    "CLibcryptoDeferred"], swiftSettings: swift6, linkerSettings: libcryptoDeferred),

        // The use cases between the core and the CLI (DESIGN §7, issue 26): typed inputs, results
        // and errors (problem and fix apart), side effects behind small protocols so tests pass
        // fakes. No ArgumentParser: the CLI parses, calls one use case here, and renders. First
        // resident: the bubblewrap sandbox of `exec --sandbox` (Sources/KeyrackApp/Sandbox).
        // The file formats of the secrets-out commands (exec --env-file, inject templates, source
        // --format, exec --mask): the app layer's, in a target of their own so the fuzz package
        // (Fuzz/) links them without KeyrackApp's proxy (NIO, TLS). Foundation-free.
        .target(name: "KeyrackOutput", dependencies: ["KeyrackClient", "KeyrackDaemon", "KeyrackNames", "SecretBytes"], swiftSettings: swift6),
        .target(name: "KeyrackApp", dependencies: ["KeyrackCore", "KeyrackDaemon", "KeyrackClient", "KeyrackProxy", "KeyrackOutput", "KeyrackNames", "KeyrackYAML", "KeyrackOpenBao", "ProcessSpawn", "Locking", "SecretBytes",
                                                  "AgeFormat", "AgeSSH", "AgeYubiKey", "AgeTPM", "AgePlugin", "PIV", "TPM", .product(name: "Crypto", package: "swift-crypto")]),

        // The keycard proxy of `exec --proxy` (issue 27): a per-run HTTP(S) proxy on loopback that
        // puts values in place of their placeholders only in requests to the hosts each may go to.
        // A target of its own because it is the one piece that terminates TLS for other hosts: it
        // knows no manifest and no daemon (it is given placeholder → value bytes with their
        // destinations, and makes its CA in memory), so it can be read and tested alone. Built on
        // what is already here: swift-nio (NIOPosix, NIOHTTP1), swift-nio-ssl (TLS both ways: the
        // per-run leaf to the program, the real server verified against the caller's trust store
        // upstream), swift-certificates + swift-crypto (the P-256 CA and per-host leaves).
        .target(name: "KeyrackProxy", dependencies: [
            "KeyrackNames", "Locking", "SecretBytes",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The CLI's teaching text: each command's --help discussion (also docs/cli.md), kept apart
        // so the executable holds only parsing and rendering. Plain strings, no imports, and only
        // keyrack-cli depends on it (scripts/gen-architecture checks that no library does).
        .target(name: "KeyrackHelp", swiftSettings: swift6),

        // The CLI's words: how every typed result, problem and remedy of the app layer reads, as
        // text lines and as the --json error object (CLIReportable, ErrorLine). A library of its
        // own so the wording is unit-tested in-process, not only by spawning the binary, and so
        // the executable keeps only the command tree: it parses, calls one use case, and hands the
        // result or error to a presenter here. No ArgumentParser: a presenter returns a String or
        // an ErrorLine, and the command wraps it in a ValidationError. Only keyrack-cli imports it
        // (scripts/gen-architecture checks that no library does).
        .target(name: "KeyrackPresentation", dependencies: [
            "KeyrackApp", "KeyrackCore", "KeyrackClient", "KeyrackDaemon", "KeyrackNames", "AgeFormat", "AgeSSH",
            "KeyrackOpenBao", "KeyrackOutput", "PIV",
            "AgeErrorReport",  // the removed-output note keyrack-age says too (AgeCLI)
        ], swiftSettings: swift6),

        // The CLI: one command type per file; parses, calls the core, prints.
        // Release builds link the Swift runtime and Foundation into it (-static-stdlib): the
        // dynamic loader then binds ~15 libraries fewer, a quarter of a short command's
        // instructions (`unlock` of 10 keys: 68 → 52 M, callgrind). Compiled with the flag
        // too, not only linked: the static Foundation modules (lib/swift_static) name the
        // archives they need (_FoundationICU, CoreFoundation, …) in the objects that import
        // them, the shared ones name only libFoundation.so, so a link-only -static-stdlib
        // leaves ICU's symbols undefined. Debug builds (scripts/test) stay dynamic: fast links.
        // Two more release link flags (issue 32, `keyrack-cli --version`: 23.2 M instructions
        // before these and the deferred card and TPM libraries, 17.8 M after; 5.9 → 4.5 ms):
        //  - --no-export-dynamic undoes the -export-dynamic that -static-stdlib brings: it put all
        //    35 335 of our modules' symbols in the dynamic symbol table, where nothing looks them
        //    up, but glibc's dladdr walks them all, and the runtime's backtracer set-up calls it
        //    before `main` (8% of `--version`'s time; 1.3 M instructions).
        //  - scripts/link/libstdc++.so makes -lstdc++ take GCC's static libstdc++.a (the file says
        //    how): one library fewer to map and 1 737 symbols fewer to bind (2.1 M instructions).
        // Both keep the binary PIE with RELRO. Not adopted: lld's -z pack-relative-relocs (gold,
        // Swift's linker here, has no DT_RELR) saves 0.5 M instructions and no measurable time.
        .executableTarget(name: "keyrack-cli", dependencies: [
            "KeyrackApp", "KeyrackOutput", "AgeFormat", "AgeErrorReport", "AgeSSH", "AgeYubiKey", "PIV", "TPM", "AgeTPM", "KeyrackCore", "KeyrackDaemon", "KeyrackClient", "KeyrackYAML", "KeyrackNames", "AgePlugin", "KeyrackOpenBao", "ProcessSpawn", "SecretBytes",
            "KeyrackHelp",  // the commands' --help discussions
            "KeyrackPresentation",  // how results and errors read
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            "CLibcryptoDeferred",  // libcrypto loaded on first use (libcryptoDeferred)
        ], path: "Sources/keyrack",
           swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))],
           linkerSettings: libcryptoDeferred + [.unsafeFlags(["-static-stdlib", "-Xlinker", "--no-export-dynamic", "-L\(Context.packageDirectory)/scripts/link"],
                                                             .when(configuration: .release))]),
        // The `keyrack` binary: `get` without Foundation (process start is most of its cost),
        // `age encrypt|decrypt` exec'd to keyrack-age, everything else exec'd to keyrack-cli. Linked fully static: no dynamic loader, no
        // libstdc++ to map and relocate, 120 page faults instead of 256 — `get` then costs about
        // what exec itself costs (scripts/bench). It is not position-independent (glibc's
        // static-pie start-up refuses the RUNPATH SwiftPM always writes), as Go's static `age`
        // is not; stack, heap and mmap stay randomised, and Hardening keeps ptrace out.
        // Routes every command but `get` and `age` to keyrack-cli before glibc and the Swift runtime start.
        // It runs at the entry point, ahead of glibc's start too (FrontRoute.c says why), so it is
        // built freestanding and without stack protector: the C library is not set up yet.
        .target(name: "CFrontRoute", cSettings: [.unsafeFlags(["-ffreestanding", "-fno-stack-protector"])]),
        .executableTarget(name: "keyrack", dependencies: ["KeyrackClient", "KeyrackDaemon", "CFrontRoute"], path: "Sources/keyrack-front", swiftSettings: swift6,
                          linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-e", "-Xlinker", "keyrack_front_entry"])]),
        // `keyrack age encrypt|decrypt` with X25519 keys (issue 32), linked static as the front
        // end: a 1 GiB stream then costs its buffers, not keyrack-cli's Foundation (AgeFormat
        // needs only swift-crypto's FoundationEssentials). Apart from the front end so `get` maps
        // none of swift-crypto; anything else it hands to keyrack-cli.
        // The age core's errors as both age binaries say them (Foundation-free, for keyrack-age).
        .target(name: "AgeErrorReport", dependencies: ["AgeFormat", "KeyrackClient"], swiftSettings: swift6),
        .executableTarget(name: "keyrack-age", dependencies: ["AgeFormat", "AgeErrorReport", "KeyrackClient", "KeyrackDaemon"], path: "Sources/keyrack-age", swiftSettings: swift6,
                          // Swift's static FoundationEssentials does not name the libraries it
                          // needs itself; a static link must.
                          linkerSettings: [.unsafeFlags(["-static-executable"]), .linkedLibrary("crypto"), .linkedLibrary("_FoundationCollections"),
                                           .linkedLibrary("_FoundationCShims"), .linkedLibrary("swiftSynchronization")]),

        // Shared by the test targets: running the built binaries, temp homes, simulated cards.
        // TestSupport starts a terminal's program through ProcessSpawn (TerminalRun: every signal at
        // its default, whatever the test process ignores or blocks).
        .target(name: "TestSupport", dependencies: ["ProcessSpawn"], path: "Tests/TestSupport"),
        // The test bundle (all test targets, one link) calls libcrypto directly: it links it.
        .testTarget(name: "AgeFormatTests", dependencies: ["AgeFormat", "Locking", "TestSupport", .product(name: "Crypto", package: "swift-crypto")], resources: [.copy("Vectors")],
                    linkerSettings: [.linkedLibrary("crypto")]),
        // Vectors/ holds the generator of RSAOAEPVectors.swift (pyca/cryptography).
        .testTarget(name: "AgeSSHTests", dependencies: ["AgeSSH", "AgeFormat", "TestSupport", .product(name: "Crypto", package: "swift-crypto")], exclude: ["Vectors"]),
        .testTarget(name: "PIVSimulatorTests", dependencies: ["PIVSimulator", "TestSupport",
                                                           .product(name: "Crypto", package: "swift-crypto"),
                                                           .product(name: "_CryptoExtras", package: "swift-crypto"),
                                                           .product(name: "X509", package: "swift-certificates"),
                                                           .product(name: "SwiftASN1", package: "swift-asn1")]),
        .testTarget(name: "PIVTests", dependencies: ["PIV", "AgeYubiKey", "AgeFormat", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        // Against a real swtpm started per test (TestSupport's SoftwareTPM), tpm2-tools as oracle.
        .testTarget(name: "TPMTests", dependencies: ["TPM", "AgeTPM", "AgeYubiKey", "AgeFormat", "TestSupport",
                                                     .product(name: "Crypto", package: "swift-crypto")]),
        // RecipientStringTests makes a key of every kind, so it imports the format modules.
        .testTarget(name: "KeyrackCoreTests", dependencies: ["KeyrackCore", "KeyrackYAML", "KeyrackNames", "TestSupport", "AgeFormat", "AgeSSH", "AgeYubiKey", "PIV",
                                                          .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "KeyrackDaemonTests", dependencies: ["KeyrackDaemon", "KeyrackNames", "Locking", "TestSupport"]),
        // The plugin protocol and the daemon's identity agent, without binaries or cards.
        .testTarget(name: "AgePluginTests", dependencies: ["AgePlugin", "AgeFormat", "KeyrackDaemon"]),
        .testTarget(name: "KeyrackNamesTests", dependencies: ["KeyrackNames"]),
        .testTarget(name: "ProcessSpawnTests", dependencies: ["ProcessSpawn"]),
        .testTarget(name: "KeyrackYAMLTests", dependencies: ["KeyrackYAML"]),
        .testTarget(name: "KeyrackOpenBaoTests", dependencies: ["KeyrackOpenBao", "SecretBytes"]),
        // The app layer's pure parts (the sandbox spec → bwrap argv, the plan of what to hide).
        .testTarget(name: "KeyrackAppTests", dependencies: ["KeyrackApp", "KeyrackOutput", "KeyrackCore", "KeyrackYAML", "KeyrackDaemon", "KeyrackClient", "KeyrackNames", "KeyrackOpenBao", "AgeFormat", "AgeYubiKey", "PIV", "TestSupport"]),
        // The proxy's pure parts (placeholders, substitution, the CA) and the proxy itself on loopback.
        .testTarget(name: "KeyrackProxyTests", dependencies: ["KeyrackProxy", "KeyrackNames", "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                                          .product(name: "X509", package: "swift-certificates")]),
        // The CLI's wording in-process: each remedy, problem and result line a presenter makes.
        .testTarget(name: "KeyrackPresentationTests", dependencies: ["KeyrackPresentation", "KeyrackApp", "KeyrackCore", "KeyrackClient", "KeyrackDaemon", "KeyrackNames", "PIV"]),
        .testTarget(name: "KeyrackClientTests", dependencies: ["KeyrackClient", "KeyrackDaemon"]),
        .testTarget(name: "AgeYubiKeyTests", dependencies: ["AgeYubiKey", "AgeFormat", "PIV", "TestSupport",
                                                          .product(name: "Crypto", package: "swift-crypto")]),
        // The command line's own parsing in-process: the fast paths past ArgumentParser
        // (UnlockFastPath) held to what ArgumentParser parses from the same words.
        .testTarget(name: "CommandLineTests", dependencies: ["keyrack-cli", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Black-box tests of the built binaries (keyrack, keyrack-piv-sim) and the `age` oracle.
        // Fixtures: stand-in executables the tests run by path (op, the GitHub token endpoint, a squatter).
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], exclude: ["Fixtures"]),
        // The repository's own promises, not a command's: docs/cli.md and the architecture picture
        // are current, cited tests exist, every program a script runs is installed by
        // install-deps, hardware-tests/ keeps PINs out of argv, udev/ grants only PIV.
        .testTarget(name: "RepoTests", dependencies: ["TestSupport"]),
    ],
    // Swift 5 language mode: the code talks to C libraries (stdio, PC/SC, libykpiv, libyaml)
    // whose globals Swift 6's strict concurrency rejects wholesale; the daemon does its own locking.
    swiftLanguageModes: [.v5]
)

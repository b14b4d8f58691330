// The `keyrack` front end answers `get` itself and hands `age encrypt|decrypt` to keyrack-age;
// every other command is keyrack-cli's (Sources/keyrack-front/main.swift). Those are routed here,
// at the executable's entry point, before glibc's own start (issue 32). glibc's start probes the
// CPU's caches with `cpuid` some fifty times, and in a virtual machine each one traps to the
// hypervisor (13 to 21 µs here): about 1 ms in front of every `unlock`, where the exec that
// follows starts a glibc of its own anyway. The Swift runtime's start (image registration, the
// environment, CommandLine.arguments) comes later still and is skipped too.
//
// The rule is main.swift's: argv[1] not `get` nor `age`, keyrack-cli next to this executable
// (symlinks resolved by the kernel), argv and environment unchanged. Anything unusual (no /proc,
// a path too long, exec failing) returns to glibc's `_start`, and main routes and reports as
// before. Nothing here may use the C library, which is not set up yet: system calls are made by
// hand, the target is built freestanding (no implicit memcpy) without stack protector (the canary
// lives in thread-local storage, set up by glibc's start). The binary is static and not
// position-independent, so nothing needs relocating first.
#if defined(__x86_64__) && defined(__linux__)

#define SYS_readlink 89
#define SYS_execve 59

static long keyrack_syscall3(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

static int keyrack_equal(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

// `stack` is the process's initial stack as the kernel laid it out: argc, argv..., 0, envp..., 0.
__attribute__((used, no_stack_protector))
void keyrack_front_route_early(long *stack) {
    long argc = stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    if (argc >= 2 && (keyrack_equal(argv[1], "get") || keyrack_equal(argv[1], "age"))) return;
    static const char name[] = "/keyrack-cli";
    char path[4096];
    long n = keyrack_syscall3(SYS_readlink, (long)"/proc/self/exe", (long)path, sizeof path);
    if (n <= 0 || (unsigned long)n >= sizeof path) return;
    long slash = n - 1;
    while (slash >= 0 && path[slash] != '/') slash--;
    if (slash < 0 || (unsigned long)slash + sizeof name > sizeof path) return;
    for (unsigned long i = 0; i < sizeof name; i++) path[slash + i] = name[i];
    keyrack_syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
}

// The entry point (Package.swift: -e keyrack_front_entry). The kernel's stack pointer is kept in
// a callee-saved register, the call made on an aligned stack, and glibc's `_start` then entered
// exactly as the kernel would have (%rdx, the loader's finalizer, is 0 for a static executable).
__asm__(
    ".text\n"
    ".globl keyrack_front_entry\n"
    ".type keyrack_front_entry, @function\n"
    "keyrack_front_entry:\n"
    "    mov %rsp, %r12\n"
    "    mov %rsp, %rdi\n"
    "    and $-16, %rsp\n"
    "    call keyrack_front_route_early\n"
    "    mov %r12, %rsp\n"
    "    xor %edx, %edx\n"
    "    jmp _start\n"
    ".size keyrack_front_entry, .-keyrack_front_entry\n");

#else

// Elsewhere the entry point is glibc's own, and main routes (main.swift).
__asm__(".text\n.globl keyrack_front_entry\nkeyrack_front_entry:\n"
#if defined(__aarch64__)
        "    b _start\n"
#else
        "    jmp _start\n"
#endif
);

#endif

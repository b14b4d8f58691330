// The `keyrack` front end answers `get` itself and hands `age encrypt|decrypt` to keyrack-age;
// every other command is keyrack-cli's (Sources/keyrack-front/main.swift). Those are routed here,
// before main: a constructor of the earliest priority runs ahead of the Swift runtime's own
// (image registration, the environment, CommandLine.arguments), which were a third of the
// front end's start in front of every `unlock` (issue 32). The rule is main.swift's: argv[1] not
// `get` nor `age`, keyrack-cli next to this executable (symlinks resolved by the kernel), argv
// and environment unchanged. Anything unusual (no /proc, a path too long, exec failing) returns,
// and main routes and reports as before.
#include <limits.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

__attribute__((constructor(101)))
static void keyrack_front_route(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "get") == 0 || strcmp(argv[1], "age") == 0)) return;
    static const char name[] = "/keyrack-cli";
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path);
    if (n <= 0 || (size_t)n >= sizeof path) return;
    ssize_t slash = n - 1;
    while (slash >= 0 && path[slash] != '/') slash--;
    if (slash < 0 || (size_t)slash + sizeof name > sizeof path) return;
    memcpy(path + slash, name, sizeof name);
    execve(path, argv, environ);
}

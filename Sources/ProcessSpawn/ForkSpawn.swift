#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// Why a second way to start a program, inside the one spawner: a child that must get a
/// parent-death signal (`parentDeathSignal`, Linux's PR_SET_PDEATHSIG) has to set it itself,
/// between fork and exec, and then check that its parent is still there (a parent that died
/// before the prctl sends nothing). posix_spawn runs no code of ours in the child and has no such
/// attribute. The sandbox launcher needs it: bubblewrap must die with keyrack, whatever kills
/// keyrack (SIGKILL included), before bwrap's own `--die-with-parent` is in force.
///
/// Between fork and exec the child may call only async-signal-safe functions (another thread of
/// the caller may hold malloc's lock at the fork): every C string it uses is made before, and
/// the child only calls setpgid, setsid, prctl, getppid, open, dup2, signal, pthread_sigmask,
/// execve, write and _exit. Every signal is blocked across the fork, so no handler of the caller
/// ever runs in the child. An exec that fails is reported back through a close-on-exec pipe, so
/// `start` answers as posix_spawn does (ENOENT for no such program).
extension Spawn {
    /// One step the child takes on its descriptors, prepared before the fork.
    private enum ChildStep {
        case copy(from: Int32, to: Int32)
        case open(path: UnsafeMutablePointer<CChar>, flags: Int32, mode: mode_t, to: Int32)
    }

    func startForked(parentDeathSignal: Int32) -> Result<pid_t, SpawnError> {
        // execvp may allocate (it builds each candidate path): a path only.
        guard !searchPath else { return .failure(SpawnError(executable: executable, code: EINVAL)) }
        var paths: [UnsafeMutablePointer<CChar>?] = []
        defer { paths.forEach { free($0) } }
        var steps: [ChildStep] = []
        for (fd, stream) in [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)] {
            switch stream {
            case .inherit: break
            case .null:
                let path = strdup("/dev/null")!
                paths.append(path)
                steps.append(.open(path: path, flags: fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, mode: 0, to: fd))
            case .descriptor(let source): steps.append(.copy(from: source, to: fd))
            case .file(let path, let flags, let mode):
                let copy = strdup(path)!
                paths.append(copy)
                steps.append(.open(path: copy, flags: flags, mode: mode, to: fd))
            }
        }
        steps += descriptors.map { .copy(from: $0.source, to: $0.target) }

        let argv = cArguments
        defer { argv.forEach { free($0) } }
        // argv[0], not `executable`, for execve: a Swift string handed to C may be copied.
        let path = argv[0]!
        // The copies are zeroed before they are freed: an environment may carry a value.
        let ownEnvironment: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { ownEnvironment?.forEach { if let entry = $0 { zeroize(entry, count: strlen(entry)); free(entry) } } }

        // The exec report: its write end above every descriptor the child sets, so no dup2 there
        // closes it; close-on-exec both, so a successful exec reads as end of file.
        var report: [Int32] = [-1, -1]
        guard Spawn.pipe(&report) == 0 else { return .failure(SpawnError(executable: executable, code: errno)) }
        let highest = steps.reduce(Int32(STDERR_FILENO)) { top, step in
            switch step {
            case .copy(_, let to), .open(_, _, _, let to): return max(top, to)
            }
        }
        let reportFD = fcntl(report[1], F_DUPFD_CLOEXEC, highest + 1)
        close(report[1])
        guard reportFD >= 0 else {
            close(report[0])
            return .failure(SpawnError(executable: executable, code: errno))
        }

        // Read before the fork: a static's first use may allocate (swift_once).
        let defaults = defaultSignals ? Spawn.defaultedSignals : []
        let inherited = Spawn.inheritedEnvironment
        let parent = getpid()
        var all = sigset_t(), previous = sigset_t(), empty = sigset_t()
        sigfillset(&all)
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        let pid = ForkCalls.fork()
        if pid == 0 {
            if processGroup { _ = setpgid(0, 0) }
            if newSession { _ = setsid() }
            _ = ForkCalls.prctl(ForkCalls.prSetPdeathsig, UInt(parentDeathSignal))
            if getppid() != parent { _exit(125) }
            for step in steps {
                let ok: Bool
                switch step {
                case .copy(let from, let to): ok = dup2(from, to) == to
                case .open(let path, let flags, let mode, let to):
                    let fd = open(path, flags, mode)
                    ok = fd == to || (fd >= 0 && dup2(fd, to) == to && close(fd) == 0)
                }
                if !ok { ForkCalls.reportAndExit(reportFD, errno) }
            }
            for s in defaults { signal(s, SIG_DFL) }
            if defaultSignals { pthread_sigmask(SIG_SETMASK, &empty, nil) } else { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            if let ownEnvironment {
                execve(path, argv, ownEnvironment)
            } else {
                execve(path, argv, inherited)
            }
            ForkCalls.reportAndExit(reportFD, errno)
        }
        let forkErrno = errno
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        close(reportFD)
        defer { close(report[0]) }
        guard pid > 0 else { return .failure(SpawnError(executable: executable, code: forkErrno)) }
        var code: Int32 = 0
        var n: Int
        repeat { n = read(report[0], &code, MemoryLayout<Int32>.size) } while n < 0 && errno == EINTR
        guard n == MemoryLayout<Int32>.size else { return .success(pid) }
        _ = Spawn.wait(pid)
        return .failure(SpawnError(executable: executable, code: code))
    }
}

/// fork and prctl, which Swift's Glibc module does not offer (fork is unavailable in Swift;
/// prctl, from <sys/prctl.h>, is variadic: integer arguments only, which the Linux calling
/// conventions pass to a variadic callee exactly as to a fixed one).
private enum ForkCalls {
    static let prSetPdeathsig: Int32 = 1

    static func prctl(_ option: Int32, _ a: UInt) -> Int32 { c_prctl(option, a, 0, 0, 0) }

    static func fork() -> pid_t { c_fork() }

    /// In the child: the errno of the step that failed, to the parent, and exit 127.
    static func reportAndExit(_ fd: Int32, _ code: Int32) -> Never {
        var code = code
        _ = write(fd, &code, MemoryLayout<Int32>.size)
        _exit(127)
    }
}

@_silgen_name("prctl")
private func c_prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32
@_silgen_name("fork")
private func c_fork() -> pid_t

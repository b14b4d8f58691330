#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackDaemon

// The `keyrack` binary. Agents call `keyrack get` hundreds of times in one task, and for a
// request that is one socket round trip, starting the process is nearly all the cost: loading
// Foundation and ArgumentParser alone costs about as much as `age -d` takes in total. So this
// front end links neither. It answers `get` itself, through the same `GetFlow` the full CLI
// runs, and replaces itself (execv, argv unchanged) with `keyrack-cli`, installed next to it,
// for every other command and for any `get` command line it does not fully understand
// (help, unknown or repeated options, usage errors), so ArgumentParser stays the one voice for
// usage text.

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "get", let get = GetFlow(arguments: Array(arguments.dropFirst(2))) {
    // Before any value arrives. (Only here: keyrack-cli, exec'd below, protects itself, and
    // must see the user's own core limit to hand it on to `keyrack exec`'s program.)
    Hardening.protectProcess()
    do {
        try get.run()
        Terminal.exit(ExitStatus.ok)
    } catch let reportable as CLIReportable {
        ErrorReport(reportable).emit(json: get.json)
        Terminal.exit(reportable.exitCode)
    } catch {
        ErrorReport(line: "error: \(error)", exit: ExitStatus.failure).emit(json: get.json)
        Terminal.exit(ExitStatus.failure)
    }
}

/// `keyrack-cli` in the directory of this executable (symlinks resolved by the kernel), as
/// NUL-terminated bytes: the path is passed on as it is, whatever its encoding.
func fullCLIPath() -> [CChar] {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    var dir: [CChar] = Array(".".utf8CString.dropLast())
    if n > 0, let slash = buffer[0..<n].lastIndex(of: CChar(UInt8(ascii: "/"))) {
        dir = slash == 0 ? [CChar(UInt8(ascii: "/"))] : Array(buffer[0..<slash])
    }
    return dir + Array("/keyrack-cli".utf8CString)
}

let full = fullCLIPath()
execv(full, CommandLine.unsafeArgv)
let failure = errno
let shown = String(decoding: full.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
ErrorReport(line: "error: cannot run \(shown) (\(String(cString: strerror(failure)))): keyrack-cli must be installed next to keyrack; reinstall keyrack",
            exit: ExitStatus.failure).emit(json: ErrorReport.wantsJSON(arguments.dropFirst()))
Terminal.exit(ExitStatus.failure)

#if canImport(Glibc)
import Glibc
#endif
// Its entry point has already sent every command but `get` and `age` on to keyrack-cli.
import CFrontRoute
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

// `age encrypt|decrypt` go to keyrack-age, a static binary of their own that answers them for
// X25519 keys (and hands anything else on to keyrack-cli): a stream then runs in the memory of
// its buffers, not beside Foundation's, while `get` here stays free of swift-crypto's code.
if arguments.count >= 3, arguments[1] == "age", arguments[2] == "encrypt" || arguments[2] == "decrypt" {
    SiblingProgram.exec("keyrack-age")  // returns only when it is not installed: keyrack-cli answers
}

SiblingProgram.execFullCLI()

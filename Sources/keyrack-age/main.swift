#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackDaemon

// `keyrack-age`: `keyrack age encrypt|decrypt` with X25519 keys, exec'd by the `keyrack` front
// end (argv unchanged). A 1 GiB stream run by keyrack-cli has Foundation, ICU and ArgumentParser
// resident beside its buffers (about 25 MiB before the first byte) and pays their start-up; here
// it costs the buffers (one 1 MiB batch per core) and a static binary's start. A binary of its
// own, not the front end, because swift-crypto's code and conformances would cost every `get`
// a few dozen page faults. Anything it does not fully understand (AgeCommandLine, AgeFrontRun)
// goes on to keyrack-cli, as the front end does with `get`, so ArgumentParser stays the one
// voice for usage errors and help and keyrack-cli for every other key kind.

let arguments = CommandLine.arguments
if arguments.count >= 3, arguments[1] == "age", let line = AgeCommandLine(arguments: Array(arguments.dropFirst(2))) {
    // Before any key file is read. (keyrack-cli, exec'd below otherwise, protects itself.)
    Hardening.protectProcess()
    if let age = AgeFrontRun(line) {
        do {
            try age.run()
            Terminal.exit(ExitStatus.ok)
        } catch let reportable as CLIReportable {
            ErrorReport(reportable).emit(json: false)
            Terminal.exit(reportable.exitCode)
        } catch {
            // ArgumentParser's form for an error that is not CLIReportable, which none should be.
            Terminal.printErrorLines("Error: \(error)")
            Terminal.exit(ExitStatus.failure)
        }
    }
}
SiblingProgram.execFullCLI()

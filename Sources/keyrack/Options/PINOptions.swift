import ArgumentParser
import KeyrackApp

/// `--pin-stdin` / `--pin-file`: where a YubiKey PIN comes from when not the terminal, as
/// `unlock` and the commands that open a manifest take it.
struct PINOptions: ParsableArguments {
    @Flag(help: "Read the YubiKey PIN from the first line of stdin instead of the terminal (a script on an owner whose slot has PIN policy once).")
    var pinStdin = false

    @Option(help: ArgumentHelp("Read the YubiKey PIN from the first line of this file, which must be yours and mode 0600.", valueName: "path"))
    var pinFile: String?

    func validate() throws {
        if pinStdin && pinFile != nil { throw ValidationError("give --pin-stdin or --pin-file, not both") }
    }

    /// The PIN's source, typed for the app layer.
    var input: PINInput { Self.input(stdin: pinStdin, file: pinFile) }

    /// The one rule from the two flags to the source (UnlockFastPath reads the flags itself).
    static func input(stdin: Bool, file: String?) -> PINInput { stdin ? .stdin : file.map(PINInput.file) ?? .terminal }
}

#if canImport(Glibc)
import Glibc
#endif
import KeyrackNames

extension SecretPrompt {
    /// A value for os.secure / os.direct: typed on the terminal without echo, or all of stdin
    /// when stdin is not a terminal (a pipe, a file): never from argv.
    public static func readValue(for slug: Slug) throws -> [UInt8] {
        if isatty(STDIN_FILENO) == 1 {
            return try readFromTerminal(prompt: "value for \(slug) (not echoed): ", what: "value of \(slug)")
        }
        return readAllOfStdin()
    }
}

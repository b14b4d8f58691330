import ArgumentParser

/// Options every owner-scoped command shares: which owner, and machine-readable output.
struct OwnerOptions: ParsableArguments {
    @Option(name: .customLong("for"), help: ArgumentHelp(
        "The owner whose keys to use: `human` (default) or a robot name.",
        valueName: "owner"))
    var owner: String = "human"

    @Flag(help: "Print machine-readable JSON instead of human text.")
    var json = false

    mutating func validate() throws {
        guard OwnerOptions.isValidOwnerName(owner) else {
            throw ValidationError("invalid owner name '\(owner)': use 1–63 characters of a-z, 0-9 and '-', starting with a letter (e.g. --for seaturtle)")
        }
    }

    /// `^[a-z][a-z0-9-]{0,62}$`, checked byte by byte so no path trick gets through.
    static func isValidOwnerName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { b in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "-")
        }
    }
}

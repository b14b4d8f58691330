#if canImport(Glibc)
import Glibc
#endif
import KeyrackNames

/// Who is asking, for the prompts that want a touch or a PIN: the program that started this
/// keyrack process (its parent: the script, git, an agent…), by executable and pid, and which
/// keyrack command for which owner. A person asked to touch the card then knows what the touch
/// is for, instead of "touch your YubiKey" with no word on who is asking.
///
/// Only fixed words are taken from our own argv (subcommand names and a valid owner name),
/// never arguments: they can hold paths or values. The parent's executable comes from
/// /proc/PPID/exe (what the kernel ran, not what it calls itself); its argv[0] when that is
/// closed to us.
public enum Asker {
    public static let phrase: String = phrase(parent: getppid(), arguments: CommandLine.arguments)

    /// The phrase for a keyrack run as `arguments` by the process `parent`.
    public static func phrase(parent ppid: pid_t, arguments: [String]) -> String {
        var who = link("/proc/\(ppid)/exe") ?? argv0(ppid) ?? "an unknown program"
        if ppid == 1 { who = "init" }
        return "requested by \(who) (pid \(ppid)) via keyrack \(commandWords(arguments))\(ownerClause(arguments))"
    }

    /// "unlock", "age decrypt", "yubikey setup": leading argv words that are keyrack commands.
    public static func commandWords(_ arguments: [String] = CommandLine.arguments) -> String {
        var words: [String] = []
        for arg in arguments.dropFirst() {
            guard commands.contains(arg), words.count < 2 else { break }
            words.append(arg)
        }
        return words.isEmpty ? "(a command)" : words.joined(separator: " ")
    }

    public static func ownerClause(_ args: [String] = CommandLine.arguments) -> String {
        guard let i = args.firstIndex(of: "--for"), i + 1 < args.count, NameRules.isValidOwner(args[i + 1]) else { return "" }
        return " for '\(args[i + 1])'"
    }

    public static let commands: Set<String> = [
        "age", "encrypt", "decrypt", "keygen", "unlock", "identity", "get", "exec", "source", "inject", "relock", "audit",
        "status", "daemon", "run", "stop", "sandbox", "init", "set", "del", "list", "recipient", "add", "remove", "yubikey",
        "setup", "doctor", "change-pin", "change-puk", "unblock-pin", "change-management-key", "verify", "show",
    ]

    private static func link(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func argv0(_ pid: pid_t) -> String? {
        let fd = open("/proc/\(pid)/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].prefix { $0 != 0 }, as: UTF8.self)
    }
}

import Foundation

/// Debian's pcscd.service starts `pcscd --foreground --auto-exit`: 60 s after its last client
/// leaves, pcscd exits, the card powers down and forgets a verified PIN, so an owner whose slot
/// has PIN policy `once` is asked for the PIN again at every unlock that follows a pause
/// (str4d/age-plugin-yubikey#198). The systemd drop-in in docs/yubikey.md removes the flag.
public enum PcscdAutoExit {
    public static let dropIn = "/etc/systemd/system/pcscd.service.d/keyrack.conf"
    public static let fix = "add the systemd drop-in \(dropIn) that starts pcscd without --auto-exit (docs/yubikey.md, \"pcscd and the PIN\"), then sudo systemctl daemon-reload && sudo systemctl restart pcscd"

    /// How pcscd is (or will be) started: from the running processes when one is visible (any
    /// with the flag counts), else from its systemd unit and drop-ins. nil when neither says.
    public static func detect() -> (autoExit: Bool, source: String)? {
        let running = runningArguments()
        if !running.isEmpty { return (running.contains { $0.contains(where: isAutoExitFlag) }, "the running pcscd") }
        guard let unit = unitExecStart() else { return nil }
        return (unit.contains(where: isAutoExitFlag), "pcscd.service")
    }

    /// `--auto-exit`, or `-x` alone or among other short flags.
    public static func isAutoExitFlag(_ arg: String) -> Bool {
        arg == "--auto-exit" || (arg.hasPrefix("-") && !arg.hasPrefix("--") && arg.contains("x"))
    }

    /// The arguments (after the program) of every running pcscd, from /proc.
    public static func runningArguments() -> [[String]] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
        return pids.compactMap { pid in
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .newlines) == "pcscd",
                  let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !raw.isEmpty else { return nil }
            return raw.split(separator: 0).dropFirst().map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The last ExecStart= of pcscd.service after its drop-ins (an empty one resets the list).
    public static func unitExecStart() -> [String]? {
        var files = ["/lib/systemd/system/pcscd.service", "/usr/lib/systemd/system/pcscd.service", "/etc/systemd/system/pcscd.service"]
            .filter { FileManager.default.fileExists(atPath: $0) }
        for dir in ["/lib/systemd/system/pcscd.service.d", "/usr/lib/systemd/system/pcscd.service.d", "/etc/systemd/system/pcscd.service.d"] {
            let confs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".conf") }.sorted()
            files += confs.map { "\(dir)/\($0)" }
        }
        var exec: [String]?
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("ExecStart=") {
                let value = line.dropFirst("ExecStart=".count)
                exec = value.isEmpty ? nil : value.split(separator: " ").dropFirst().map(String.init)
            }
        }
        return exec
    }
}

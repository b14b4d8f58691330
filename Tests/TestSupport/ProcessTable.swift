import Foundation

/// What /proc says about processes, for tests that must tell a running process from one that has
/// exited and waits as a zombie for a parent that does not reap it.
public enum ProcessTable {
    /// The command name and state letter of `pid` from /proc/PID/stat, nil when it is gone.
    private static func stat(_ pid: pid_t) -> (name: Substring, state: Character)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].drop { $0 == " " }
        guard let state = rest.first else { return nil }
        return (text[text.index(after: open)..<close], state)
    }

    /// Running: not exited, and not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let s = stat(pid) else { return false }
        return s.state != "Z"
    }

    /// The running processes whose command name is `name`.
    public static func running(named name: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let s = stat(pid) else { return false }
            return s.name == name && s.state != "Z"
        }
    }

    /// The processes whose command line (any argument) contains `text`.
    public static func pids(commandLineContaining text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }

    /// The zombie children of `parent`: exited, never reaped by it.
    public static func zombies(childrenOf parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return false }
            let fields = text[text.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] == "Z" && pid_t(fields[1]) == parent
        }
    }

    /// The processes (zombies included) whose real uid is `uid`.
    public static func pids(ofUID uid: UInt32) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return false }
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first == Substring(String(uid))
        }
    }
}

import Foundation
import KeyrackClient
#if canImport(Glibc)
import Glibc
#endif
import AgeYubiKey
import KeyrackClient
import KeyrackCore
import ProcessSpawn

/// The one way every CLI path tells a person that the YubiKey waits for a touch: a line on the
/// terminal (stderr, so it never mixes with output) and, when a desktop session is there, a
/// desktop notification — the terminal may be hidden behind another window while the card blinks.
///
/// The notification is fire-and-forget: `notify-send` is started detached from our stdio and never
/// waited for, so a hung or missing notification daemon can neither block nor fail the unlock.
public enum TouchPrompt {
    /// For the PIV/age-plugin code paths, which report the card's serial.
    public static let notifier: TouchNotifier = { serial in show(.touch(serial: serial)) }

    /// For KeyrackCore's `Interaction.notice`, whose messages are things to act on now. A touch
    /// request names who asks, on the same line (Asker): the program that ran keyrack and the
    /// command, e.g. "touch your YubiKey (serial 7): requested by /usr/bin/git (pid 1234) via
    /// keyrack unlock".
    public static func show(_ notice: Notice) {
        let text = text(notice)
        Terminal.printError(text)
        DesktopNotification.send(summary: "keyrack", body: text)
    }

    /// The line for `notice`, naming who asks.
    public static func text(_ notice: Notice, asker: String = Asker.phrase) -> String {
        switch notice {
        case .touch: "\(notice.text): \(asker)"
        }
    }
}

/// `notify-send SUMMARY BODY`, only when DISPLAY or WAYLAND_DISPLAY is set and notify-send is on
/// PATH; or, when `KEYRACK_NOTIFY` names a command, that command with the prompt text as its one
/// argument (display or not: it may reach a phone, a status bar, a log), instead of notify-send.
/// The body must never hold a secret: argv is visible to every user of the machine.
public enum DesktopNotification {
    /// `KEYRACK_NOTIFY` when set and not empty: a program (a path, or a name looked up in PATH;
    /// one word, never a shell line), run as `PROGRAM TEXT` for every touch and PIN prompt.
    public static var command: String? { command(environment: live) }

    /// A variable of this process's environment, read at call time.
    public static let live: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }

    static func command(environment: (String) -> String?) -> String? {
        guard let raw = environment("KEYRACK_NOTIFY"), !raw.isEmpty else { return nil }
        return raw
    }

    /// A prompt for the person, through KEYRACK_NOTIFY only (a PIN prompt: the terminal already
    /// shows it, and notify-send was never its default).
    public static func prompt(_ text: String) {
        if let args = promptArguments(text) { start(args) }
    }

    public static func send(summary: String, body: String) {
        if let args = sendArguments(summary: summary, body: body) { start(args) }
    }

    /// The program `prompt` starts, and its arguments; nil: none.
    public static func promptArguments(_ text: String, environment: (String) -> String? = live) -> [String]? {
        command(environment: environment).map { [$0, text] }
    }

    /// The program `send` starts, and its arguments; nil: none (no KEYRACK_NOTIFY, and no display
    /// or no notify-send on the environment's PATH).
    public static func sendArguments(summary: String, body: String, environment: (String) -> String? = live) -> [String]? {
        if let command = command(environment: environment) { return [command, body] }
        let hasDisplay = ["DISPLAY", "WAYLAND_DISPLAY"].contains { !(environment($0) ?? "").isEmpty }
        guard hasDisplay, let path = onPath("notify-send", environment: environment) else { return nil }
        return [path, "--app-name=keyrack", "--urgency=critical", "--expire-time=15000", summary, body]
    }

    /// Starts `args` through the project's spawner (no shell), detached from our stdio.
    private static func start(_ args: [String]) {
        var spawn = Spawn(args[0], Array(args.dropFirst()))
        spawn.searchPath = true
        spawn.defaultSignals = true
        // stdin/stdout/stderr to /dev/null: a notify-send that lingers must not hold our pipes open
        // (a caller reading our stderr to EOF would wait for it).
        spawn.stdin = .null
        spawn.stdout = .null
        spawn.stderr = .null
        guard case .success(let pid) = spawn.start(), pid > 0 else { return }
        // Never waited for by the caller; reaped by a thread of its own, so the daemon (whose
        // identity agent shows touch prompts, and which lives for hours) keeps no zombie.
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// The first executable `name` in PATH.
    private static func onPath(_ name: String, environment: (String) -> String?) -> String? {
        guard let path = environment("PATH") else { return nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

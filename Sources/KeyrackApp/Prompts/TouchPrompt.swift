import Foundation
import KeyrackClient
#if canImport(Glibc)
import Glibc
#endif
import AgeYubiKey
import KeyrackClient
import KeyrackCore

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
        let text: String
        switch notice {
        case .touch: text = "\(notice.text): \(Asker.phrase)"
        }
        Terminal.printError(text)
        DesktopNotification.send(summary: "keyrack", body: text)
    }
}

/// `notify-send SUMMARY BODY`, only when DISPLAY or WAYLAND_DISPLAY is set and notify-send is on
/// PATH; or, when `KEYRACK_NOTIFY` names a command, that command with the prompt text as its one
/// argument (display or not: it may reach a phone, a status bar, a log), instead of notify-send.
/// The body must never hold a secret: argv is visible to every user of the machine.
public enum DesktopNotification {
    /// `KEYRACK_NOTIFY` when set and not empty: a program (a path, or a name looked up in PATH;
    /// one word, never a shell line), run as `PROGRAM TEXT` for every touch and PIN prompt.
    public static var command: String? {
        guard let raw = getenv("KEYRACK_NOTIFY"), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }

    /// A prompt for the person, through KEYRACK_NOTIFY only (a PIN prompt: the terminal already
    /// shows it, and notify-send was never its default).
    public static func prompt(_ text: String) {
        if let command { start([command, text]) }
    }

    public static func send(summary: String, body: String) {
        if let command {
            start([command, body])
            return
        }
        let hasDisplay = [getenv("DISPLAY"), getenv("WAYLAND_DISPLAY")].contains { value in
            guard let value else { return false }
            return value.pointee != 0
        }
        guard hasDisplay, let path = onPath("notify-send") else { return }
        start([path, "--app-name=keyrack", "--urgency=critical", "--expire-time=15000", summary, body])
    }

    /// Starts `args` through the project's spawner (no shell), detached from our stdio.
    private static func start(_ args: [String]) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // stdin/stdout/stderr to /dev/null: a notify-send that lingers must not hold our pipes open
        // (a caller reading our stderr to EOF would wait for it).
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        var pid: pid_t = 0
        guard ProgramSpawn.start(args, actions: &actions, environment: environ, pid: &pid) == 0, pid > 0 else { return }
        // Never waited for by the caller; reaped by a thread of its own, so the daemon (whose
        // identity agent shows touch prompts, and which lives for hours) keeps no zombie.
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// The first executable `name` in PATH.
    private static func onPath(_ name: String) -> String? {
        guard let raw = getenv("PATH") else { return nil }
        for dir in String(cString: raw).split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

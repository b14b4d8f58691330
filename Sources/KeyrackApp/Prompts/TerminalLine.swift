#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KeyrackCore

/// One line typed on the terminal, echoed: for what is not secret (ids, paths) and was not
/// given as a flag. Refused as a usage error naming the flag when there is no terminal or
/// nothing was typed.
public enum TerminalLine {
    public static func ask(_ prompt: String, flag: String) throws -> String {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw KeyrackError(.usage, "no terminal to ask on: pass \(flag)") }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw KeyrackError(.usage, "nothing typed: pass \(flag)") }
        return text
    }
}

/// Parsing of the native key strings and of identity/recipient files, as the age CLI reads them.
/// Non-native kinds (ssh, plugins such as age-plugin-yubikey) are dispatched by the caller, which
/// knows about the other modules; this file only knows the types AgeFormat implements.
public enum AgeKeys {
    /// Files bigger than this are refused, as age does: a recipients or identity file is small.
    public static let maxFileBytes = 16 << 20

    /// Parses one native recipient string: `age1…` (X25519).
    public static func parseRecipient(_ string: String) throws -> any Recipient {
        if string.hasPrefix("age1pq1") {
            return try MLKEM768X25519Recipient(string: string)
        }
        if string.hasPrefix("age1") {
            // A second "1" after the prefix means a plugin recipient (age1yubikey1…, age1tag1…).
            if string.dropFirst(4).contains("1") {
                let name = string.dropFirst(4).prefix { $0 != "1" }
                throw AgeError.invalidKey("'age1\(name)1…' is a plugin recipient, not a native age key")
            }
            return try X25519Recipient(string: string)
        }
        if string.hasPrefix("AGE-SECRET-KEY-") {
            throw AgeError.invalidKey("found an identity (AGE-SECRET-KEY-…) where a recipient was expected; use its public key (age-keygen -y)")
        }
        throw AgeError.invalidKey("unknown recipient type '\(string.prefix(12))…' (want age1…)")
    }

    /// Parses one native identity line: `AGE-SECRET-KEY-1…` (X25519).
    public static func parseIdentity(_ line: String) throws -> any Identity {
        if line.hasPrefix("AGE-SECRET-KEY-PQ-1") {
            return try MLKEM768X25519Identity(string: line)
        }
        if line.hasPrefix("AGE-SECRET-KEY-1") { return try X25519Identity(string: line) }
        if line.hasPrefix("AGE-PLUGIN-") {
            throw AgeError.invalidKey("plugin identity (AGE-PLUGIN-…) is not a native age identity")
        }
        throw AgeError.invalidKey("an identity line is not AGE-SECRET-KEY-1… (secret keys are not echoed)")
    }

    /// An identity file: one identity per line, `#` comments and blank lines ignored, at least one.
    public static func parseIdentities(fileContents: String) throws -> [any Identity] {
        try lines(of: fileContents, what: "identity").map { line in
            do { return try parseIdentity(line.text) } catch let error as AgeError {
                throw AgeError.invalidKey("identity file line \(line.number): \(error.reason)")
            }
        }
    }

    public static func parseIdentities(fileContents: [UInt8]) throws -> [any Identity] {
        try parseIdentities(fileContents: utf8(fileContents, what: "identity"))
    }

    /// A recipients file (`-R`): one recipient per line, `#` comments and blank lines ignored.
    public static func parseRecipients(fileContents: String) throws -> [any Recipient] {
        try lines(of: fileContents, what: "recipients").map { line in
            do { return try parseRecipient(line.text) } catch let error as AgeError {
                throw AgeError.invalidKey("recipients file line \(line.number): \(error.reason)")
            }
        }
    }

    /// The meaningful lines of a key file, with their 1-based numbers.
    public static func lines(of contents: String, what: String) throws -> [(number: Int, text: String)] {
        guard contents.utf8.count <= maxFileBytes else { throw AgeError.invalidKey("\(what) file is larger than 16 MiB") }
        var result: [(Int, String)] = []
        // "\r\n" is one Character in Swift, so split on both; CRLF files are accepted as age does.
        for (i, raw) in contents.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = raw.trimmingCharacters(in: " \t\r")
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            result.append((i + 1, String(trimmed)))
        }
        guard !result.isEmpty else { throw AgeError.invalidKey("\(what) file has no \(what == "identity" ? "identities" : "recipients")") }
        return result
    }

    static func utf8(_ bytes: [UInt8], what: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AgeError.invalidKey("\(what) file is not valid UTF-8")
        }
        return text
    }
}

extension AgeError {
    /// The message without its category prefix, for wrapping with a location.
    public var reason: String {
        if case .invalidKey(let why) = self { return why }
        return description
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

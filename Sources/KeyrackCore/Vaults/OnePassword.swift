import Foundation
import PIV
import SecretBytes

/// A 1Password secret reference in one of the forms people write (the vision writes
/// `mechanic/github-pat`): `op://VAULT/ITEM/FIELD` (or `op://VAULT/ITEM/SECTION/FIELD`) and
/// `VAULT/ITEM/FIELD`, read with `op read`; `VAULT/ITEM`, whose field is the item's credential or
/// password field, found with `op item get`.
public struct OnePasswordReference: Equatable, Sendable {
    public let text: String
    public let vault: String
    public let item: String
    /// nil for `VAULT/ITEM`: the field is resolved from the item at unlock.
    public let secretReference: String?

    public init(_ text: String) throws {
        let isURL = text.hasPrefix("op://")
        let parts = (isURL ? text.dropFirst("op://".count) : Substring(text)).split(separator: "/", omittingEmptySubsequences: false)
        let counts = isURL ? 3...4 : 2...3
        guard counts.contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") }),
              !text.contains(where: { $0.isNewline || $0 == "\0" }), text.utf8.count <= 512 else {
            throw KeyrackError.usage("invalid external id '\(text.prefix(80))' for vault 1password",
                                    .give(.exid, "VAULT/ITEM (its credential or password field), VAULT/ITEM/FIELD or op://VAULT/ITEM/FIELD (e.g. keyrack/seaturtle-github-pat)"))
        }
        self.text = text
        vault = String(parts[0])
        item = String(parts[1])
        secretReference = isURL ? text : parts.count == 3 ? "op://\(text)" : nil
    }
}

/// The 1password vault: `op` reads the value at unlock. At `set` the reference is checked the
/// same way when `op` is installed, so a typo fails now rather than at the first unlock; the value
/// read is discarded unseen.
public enum OnePassword {
    public static let installAdvice = "install the 1Password CLI (https://developer.1password.com/docs/cli/get-started) and sign in with `op signin`"

    /// The `op` executable on PATH, if any.
    public static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ToolProcess.find("op", environment: environment)
    }

    /// What `op` gave: the value, or why not (op's first stderr line, or why no field was
    /// chosen; never a value).
    enum ReadResult {
        case value([UInt8])
        case failed(LockedReason)
    }

    /// Reads the value `reference` names, from `account` when given. The value arrives on
    /// stdout, never through argv or a file.
    static func read(_ reference: OnePasswordReference, account: String?, op: String) throws -> ReadResult {
        let accountArgs = account.map { ["--account", $0] } ?? []
        if let secret = reference.secretReference {
            let r = try ToolProcess.run(op, ["read", "--no-newline"] + accountArgs + [secret])
            return r.status == 0 ? .value(r.output) : .failed(LockedReason(r.firstErrorLine))
        }
        var r = try ToolProcess.run(op, ["item", "get", reference.item, "--vault", reference.vault, "--format", "json"] + accountArgs)
        defer { wipe(&r.output) }
        guard r.status == 0 else { return .failed(LockedReason(r.firstErrorLine)) }
        return field(of: r.output, reference: reference)
    }

    /// The item's one credential or password field (`op item get --format json` lists fields
    /// with `id`, `label`, `purpose` and `value`); refused when it has none or several, so the
    /// user names the field rather than keyrack guessing.
    static func field(of json: [UInt8], reference: OnePasswordReference) -> ReadResult {
        guard let item = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let fields = item["fields"] as? [[String: Any]] else {
            return .failed("op item get returned no fields for \(reference.text)")
        }
        let candidates = fields.filter { f in
            let id = f["id"] as? String, label = f["label"] as? String
            return id == "credential" || label == "credential" || id == "password" || (f["purpose"] as? String) == "PASSWORD"
        }
        let names = { (list: [[String: Any]]) in list.compactMap { ($0["label"] as? String) ?? ($0["id"] as? String) }.joined(separator: ", ") }
        guard candidates.count == 1, let value = candidates[0]["value"] as? String else {
            if candidates.count > 1 {
                return .failed(LockedReason("item \(reference.text) has several credential/password fields (\(names(candidates)))",
                                             remedy: .setAgain(.exid, "\(reference.text)/\(names([candidates[0]]))")))
            }
            return .failed(LockedReason("item \(reference.text) has no credential or password field (fields: \(names(fields)))", remedy: .setAgain(.exid, "\(reference.text)/FIELD")))
        }
        return .value(Array(value.utf8))
    }

    /// Checks at `set` that the reference resolves to a non-empty value, which is dropped
    /// unseen (or handed to `inspect`, e.g. to check a GitHub App source). Returns false when
    /// `op` is not installed (nothing could be checked).
    @discardableResult
    public static func check(reference text: String, account: String?, inspect: ([UInt8]) throws -> Void = { _ in }) throws -> Bool {
        let reference = try OnePasswordReference(text)
        guard let op = executable() else { return false }
        switch try read(reference, account: account, op: op) {
        case .failed(let why):
            let problem = "1password could not read \(text): \(why.problem)"
            throw why.remedy.map { KeyrackError.usage(problem, $0) } ?? KeyrackError.usage("\(problem); check the reference and that op is signed in")
        case .value(var value):
            defer { wipe(&value) }
            guard !value.isEmpty else {
                throw KeyrackError.usage("1password returned an empty value for \(text): check the field name")
            }
            try inspect(value)
            return true
        }
    }
}

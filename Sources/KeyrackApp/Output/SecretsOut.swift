import KeyrackClient
import KeyrackDaemon
import KeyrackOutput
import SecretBytes

/// The variables `exec` puts in the program's environment: the env's keys (`--env`, `--key`)
/// from the owner's daemon through ValueFetch, then every `--env-file`'s, references resolved in
/// one GET. All or nothing: a key not granted fails before anything runs (exit 3).
public enum ExecEnvironment {
    /// `granted` marks the values from the daemon: what `--mask` conceals (not a file's plain ones).
    public static func values(owner: String, env: String?, keys: [String], envFiles: [String],
                              allowDangerous: Bool) throws -> [(name: String, value: [UInt8], granted: Bool)] {
        let files = try envFiles.map { try EnvFile.read(path: $0) }
        var values = try env.map { try ValueFetch(owner: owner, allowDangerous: allowDangerous).environment(env: $0, keys: keys) }?
            .map { (name: $0.name, value: $0.value, granted: true) } ?? []
        values += try EnvFile.resolve(files, owner: owner, allowDangerous: allowDangerous, alongside: values.map(\.name))
        return values
    }
}

/// `inject`: a template's `{{ keyrack://ORG.ENV.KEY }}` placeholders filled with the owner's
/// granted values, all or nothing (one not granted: exit 3, nothing rendered).
public enum Inject {
    /// The filled template and how many placeholders it had; the values fetched are wiped here,
    /// the result is the caller's to wipe once written.
    public static func render(_ template: [UInt8], path: String, owner: String, allowDangerous: Bool) throws -> (output: [UInt8], placeholders: Int) {
        let parsed = try InjectTemplate(template, path: path)
        var values = try SecretReference.resolve(owner: owner, slugs: parsed.references, allowDangerous: allowDangerous)
        defer { for k in Array(values.keys) { zeroize(&values[k]!) } }
        return (parsed.render(values), parsed.references.count)
    }
}

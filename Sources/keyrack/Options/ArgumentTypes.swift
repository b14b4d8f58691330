import ArgumentParser
import KeyrackCore
import KeyrackOutput

// The core's closed sets as option types: ArgumentParser parses them, lists their values in
// help and shell completions, and its error names the bad value beside the good ones. The core
// parses the same words from manifests with its own errors, which name no flag.
extension Via: ExpressibleByArgument {}
extension Vault: ExpressibleByArgument {}
extension Mechanism: ExpressibleByArgument {}

/// `unlock --using`: the kinds of backup recipient that open a manifest without the card.
enum BackupVia: String, CaseIterable, ExpressibleByArgument {
    case ssh, age

    var via: Via { Via(rawValue: rawValue)! }
}

/// `source --format`: KeyrackOutput's languages, each value's help from there.
extension SourceFormat: ExpressibleByArgument {
    public var defaultValueDescription: String { help }
}

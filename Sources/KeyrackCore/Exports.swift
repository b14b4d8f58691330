// The YAML layer (parser and emitter) and the repository-file reader live in KeyrackYAML
// (Foundation-free, for the fast `keyrack get`); KeyrackCore's files and its users see them too.
@_exported import KeyrackYAML

// The names and their grammar (Slug, NameRules, DurationGrammar) are KeyrackNames', shared with
// the daemon and the `get` fast path; the core's typed names build on them.
@_exported import KeyrackNames

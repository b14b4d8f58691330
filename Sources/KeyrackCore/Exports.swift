// The YAML layer (parser and emitter) and the repository-file reader live in KeyrackYAML
// (Foundation-free, for the fast `keyrack get`); KeyrackCore's files and its users see them too.
@_exported import KeyrackYAML

// The YAML layer and the repository-file reader live in KeyrackYAML (Foundation-free, for the
// fast `keyrack get`); KeyrackCore's files and its users see them as before.
@_exported import KeyrackYAML

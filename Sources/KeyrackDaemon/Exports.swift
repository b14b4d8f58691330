// Grants are named by KeyrackNames' Slug; the daemon's clients name it through this module.
@_exported import KeyrackNames

/// The teaching text of keyrack's `--help`: each command's `discussion`, the paragraphs under its
/// usage line (and, through scripts/gen-cli-docs, docs/cli.md). Kept apart from the executable so
/// `Sources/keyrack` holds only parsing and rendering; one file per command family, one constant
/// per command, named after it. Only keyrack-cli imports this module (scripts/gen-architecture
/// checks it). Abstracts, option help and one-line discussions stay beside their commands.
///
/// The strings are the `--help` output byte for byte: `\` at a line's end joins it to the next,
/// and ArgumentParser rewraps at the terminal's width.
public enum Help {}

// `fill`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack fill --help`'s discussion.
    public static let fill = """
        Values are asked on the terminal (not echoed), once per key some owner lacks; when stdin is not a terminal, \
        each such key's value is one line of stdin, in the file's order.
        """
}

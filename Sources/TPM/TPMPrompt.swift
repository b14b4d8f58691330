/// The TPM PIN prompt, one wording everywhere keyrack asks for it (the terminal, the identity
/// agent through the age client, the plugin): it says "PIN", which --pin-stdin and --pin-file answer.
public enum TPMPrompt {
    /// "Enter the TPM PIN (N tries left before the TPM locks out)".
    public static func request(triesLeft tries: Int?) -> String {
        "Enter the TPM PIN\(tries.map { " (\($0) \($0 == 1 ? "try" : "tries") left before the TPM locks out)" } ?? "")"
    }

    /// The same, as a terminal prompt.
    public static func pin(triesLeft tries: Int?) -> String { request(triesLeft: tries) + ": " }
}

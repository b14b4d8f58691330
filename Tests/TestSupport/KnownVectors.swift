/// The piv-p256 known vector of /work/shared/reference/age-piv.md §4.1–4.2 (computed independently
/// with Python `cryptography`), shared by the software tests (AgeYubiKeyTests) and the card tests
/// (PIVTests, which import the scalar into a simulated card and unwrap the same stanza on it).
public enum PIVP256KnownVector {
    public static let scalarHex = "122478b9b6c63b2740b6c04375fa4abbacb1cd42d79f198a13d00487f3e1490d"
    public static let recipient = "age1yubikey1qgly5y3552f43dqes352js90xcnw4lr6wechv62ma7qazqdpe8jq2865kmf"
    public static let stanzaArguments = ["xeicbg", "A8MgxpLKDUNaas8xJq6n8kwl6+p0nDmY0Yb9Lnw6AlWu"]
    /// Unpadded base64, as in the file.
    public static let stanzaBody = "z8IeaPz3tOsxoVzhjM5OcE6nceuL4tun7D7t5RCv1xI"
    public static let fileKey = "YELLOW SUBMARINE"
}

extension String {
    /// The bytes of a hex string such as a vector's (test input only: traps on bad hex).
    public var hexBytes: [UInt8] {
        var out: [UInt8] = []
        var i = startIndex
        while i < endIndex {
            let j = index(i, offsetBy: 2)
            out.append(UInt8(self[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
}

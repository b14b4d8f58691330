import Foundation
import SecretBytes

/// The login bodies that carry a secret (AppRole's role_id and secret_id, a JWT):
/// `{"name":"value",…}` in the order given, a nil field left out. Not Encodable like RequestBody:
/// JSONEncoder would copy the secret into a String and a Data nobody can wipe. Here each secret
/// is escaped straight from locked memory into one buffer, sized up front so that no growth
/// leaves a copy behind in freed memory; the caller zeroizes it once sent.
enum SecretRequestBody {
    enum Value {
        case text(String)
        case secret(LockedBytes)
    }

    static func json(_ fields: [(name: String, value: Value?)]) -> [UInt8] {
        let present = fields.compactMap { field in field.value.map { (name: field.name, value: $0) } }
        var capacity = 2  // { }
        for field in present {
            // Every byte escapes to at most six (\u00XX); quotes, colon and comma around it.
            let length: Int
            switch field.value {
            case .text(let text): length = text.utf8.count
            case .secret(let secret): length = secret.count
            }
            capacity += 6 * (field.name.utf8.count + length) + 6
        }
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(UInt8(ascii: "{"))
        for (i, field) in present.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.quote(Array(field.name.utf8), into: &out)
            out.append(UInt8(ascii: ":"))
            switch field.value {
            case .text(let text): JSONText.quote(Array(text.utf8), into: &out)
            case .secret(let secret): secret.withBytes { JSONText.quote($0, into: &out) }
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// JSON string text for SecretRequestBody (the credentials are UUIDs, but nothing is assumed).
enum JSONText {
    static func quote(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    static func quote(_ bytes: [UInt8], into out: inout [UInt8]) {
        bytes.withUnsafeBytes { quote($0, into: &out) }
    }
}

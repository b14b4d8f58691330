import Crypto
import Foundation
import KeyrackDaemon

/// Checks an owner's access log (KeyrackDaemon's AuditLog): every line a JSON object, `seq`
/// counting from 0, each `prev` the SHA-256 of the line before, the first line the owner's
/// genesis, each checkpoint's ordinal next in line, its `head` the chain head, its signature
/// valid and made by one key throughout (and by the expected key when one is given), and the
/// anchor file's last checkpoint present, byte for byte, at its seq. The first fault is named
/// by line number (1-based, as editors count) with what is wrong.
///
/// What it proves and what not: an edit, deletion, insertion or reordering anywhere breaks the
/// chain at that point; one that rewrites the chain from there on is caught at the next signed
/// checkpoint; cutting the tail before the last checkpoint is caught by the anchor. Records
/// after the last checkpoint can be cut or rewritten by whoever can write the file and the
/// anchor (the owner's uid), and one who also holds the checkpoint key can rewrite everything.
public enum AuditVerifier {
    public struct Fault: Equatable, Sendable {
        public var line: Int
        public var problem: String
    }

    public struct Report: Sendable {
        public var records = 0
        public var checkpoints = 0
        public var signedCheckpoints = 0
        public var checkpointKey: String?
        /// `card-checkpoint` records (a YubiKey's signature over the head at unlock) and the
        /// card's public key (hex of its P-256 point) they were all made with.
        public var cardCheckpoints = 0
        public var cardKey: String?
        /// seq of the first record checked (0 unless the oldest files were archived away).
        public var firstSeq: UInt64 = 0
        public var fault: Fault?
        public var ok: Bool { fault == nil }
    }

    /// `expectedCardKey`: the owner's card key (hex of the P-256 point, from the manifest or
    /// `--card-key`); without it every card checkpoint must be made by one card.
    public static func verify(log: [UInt8], anchor: [UInt8]?, owner: String, expectedKey: String? = nil, expectedCardKey: String? = nil) -> Report {
        var report = Report()
        var lines = log.split(separator: 0x0a, omittingEmptySubsequences: false)
        let cutShort = lines.last.map { !$0.isEmpty } ?? false
        if lines.last?.isEmpty == true { lines.removeLast() }
        var prev = AuditCrypto.genesisPrev
        var ordinal: UInt64 = 0
        var key: String? = nil
        var connects = Set<UInt64>()
        // Each line's hash by index, for the card checkpoints, which name an earlier record.
        var hashes: [String] = []
        // A log whose older files were archived away (rotation, then removed by the owner)
        // starts with a genesis that `continues` one: the chain is checked from there.
        var firstSeq: UInt64 = 0
        if let first = lines.first, let object = try? JSONSerialization.jsonObject(with: Data(first)) as? [String: Any],
           object["event"] as? String == "genesis", object["continues"] is String,
           let seq = (object["seq"] as? NSNumber)?.uint64Value, let p = object["prev"] as? String {
            firstSeq = seq
            prev = p
            report.firstSeq = seq
        }

        func fail(_ line: Int, _ problem: String) -> Report {
            var r = report
            r.fault = Fault(line: line, problem: problem)
            return r
        }

        for (index, raw) in lines.enumerated() {
            let n = index + 1
            if cutShort && index == lines.count - 1 {
                return fail(n, "the last line is cut short (no newline): the file was truncated mid-record")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
                return fail(n, "not a JSON object: the line was altered")
            }
            let expected = firstSeq + UInt64(index)
            guard let seq = (object["seq"] as? NSNumber)?.uint64Value, seq == expected else {
                return fail(n, "seq is \(object["seq"].map { "\($0)" } ?? "missing"), expected \(expected): a record before it was deleted or inserted, or records were reordered")
            }
            guard let p = object["prev"] as? String, p == prev else {
                return fail(n, index == 0 ? "the first record's prev is not the genesis value" :
                    "prev does not match the SHA-256 of line \(n - 1): line \(n - 1) was altered, or records were removed or reordered")
            }
            let event = object["event"] as? String
            if event == "connect" { connects.insert(seq) }
            if let ref = (object["requester_seq"] as? NSNumber)?.uint64Value, ref >= firstSeq, !connects.contains(ref) {
                return fail(n, "requester_seq \(ref) does not name an earlier connect record: the record was altered")
            }
            if index == 0 {
                guard event == "genesis", object["owner"] as? String == owner else {
                    return fail(n, "the first record is not the genesis of owner '\(owner)'")
                }
            } else if event == "genesis" {
                // Only a rotation starts a file mid-chain, and its genesis names the file before.
                guard object["continues"] is String, object["owner"] as? String == owner else {
                    return fail(n, "a new log starts here without continuing the one before: the file was replaced")
                }
            }
            if event == "checkpoint" {
                // From an archived-away start the first checkpoint's ordinal is taken as it is.
                if firstSeq > 0 && report.checkpoints == 0, let o = (object["ordinal"] as? NSNumber)?.uint64Value, o > 0 { ordinal = o - 1 }
                guard let o = (object["ordinal"] as? NSNumber)?.uint64Value, o == ordinal + 1 else {
                    return fail(n, "checkpoint ordinal \(object["ordinal"].map { "\($0)" } ?? "missing"), expected \(ordinal + 1): a checkpoint was removed or duplicated")
                }
                guard object["head"] as? String == prev else { return fail(n, "checkpoint head is not the chain head") }
                ordinal = o
                report.checkpoints += 1
                if let sig = object["sig"] as? String {
                    guard let k = object["key"] as? String, let pk = AuditCrypto.unhex(k), let s = AuditCrypto.unhex(sig) else {
                        return fail(n, "checkpoint signature or key is not hex")
                    }
                    if let expectedKey, k != expectedKey { return fail(n, "checkpoint signed by key \(k.prefix(16))…, not the owner's \(expectedKey.prefix(16))…: forged") }
                    if let key, k != key { return fail(n, "checkpoint signed by key \(k.prefix(16))…, unlike the earlier checkpoints (\(key.prefix(16))…): forged") }
                    let message = AuditCrypto.checkpointMessage(owner: owner, seq: seq, ordinal: o, head: prev)
                    guard AuditCrypto.verify(s, message, publicKey: pk) else {
                        return fail(n, "checkpoint signature does not verify: the checkpoint was forged or the records before it rewritten")
                    }
                    key = k
                    report.signedCheckpoints += 1
                }
                // An unsigned checkpoint (the daemon held no key: started for a denial, or by
                // an older unlock) is accepted but proves nothing; the report counts them apart.
            }
            if event == "card-checkpoint" {
                if let problem = checkCard(object, seq: seq, firstSeq: firstSeq, hashes: hashes, owner: owner,
                                           expected: expectedCardKey, earlier: report.cardKey) {
                    return fail(n, problem)
                }
                report.cardKey = object["card_key"] as? String
                report.cardCheckpoints += 1
            }
            prev = AuditCrypto.sha256Hex(Array(raw))
            hashes.append(prev)
            report.records += 1
        }
        report.checkpointKey = key

        // The anchor: the last checkpoint the writer made must still be in the log.
        if let anchor {
            let line = anchor.last == 0x0a ? Array(anchor.dropLast()) : anchor
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let anchorSeq = (object["seq"] as? NSNumber)?.uint64Value, anchorSeq >= firstSeq else {
                return fail(lines.count, "the anchor file is not a checkpoint record of this log: it was altered")
            }
            let seq = Int(anchorSeq - firstSeq)
            let ord = (object["ordinal"] as? NSNumber)?.intValue ?? 0
            guard seq < lines.count else {
                return fail(lines.count, "the log ends at line \(lines.count), before checkpoint #\(ord) at line \(seq + 1) (seq \(anchorSeq)) that the anchor records: records were cut from the tail")
            }
            guard Array(lines[seq]) == line else {
                return fail(seq + 1, "this line is not the checkpoint #\(ord) the anchor records: the log was rewritten")
            }
        } else if report.checkpoints > 0 {
            return fail(lines.count, "the log has \(report.checkpoints) checkpoint(s) but its anchor file is missing: it was removed")
        }
        return report
    }

    /// A card checkpoint's fault, nil when it holds: the record it names is earlier in this
    /// chain and hashes to its `head`, and `sig` is an ECDSA P-256 signature over
    /// AuditCrypto.cardCheckpointMessage by `card_key`, the owner's card (or the one card of the
    /// earlier card checkpoints).
    static func checkCard(_ object: [String: Any], seq: UInt64, firstSeq: UInt64, hashes: [String], owner: String,
                          expected: String?, earlier: String?) -> String? {
        guard let covers = (object["covers_seq"] as? NSNumber)?.uint64Value, let head = object["head"] as? String,
              let keyHex = object["card_key"] as? String, let sigHex = object["sig"] as? String else {
            return "card checkpoint lacks covers_seq, head, card_key or sig: the record was altered"
        }
        guard covers < seq else { return "card checkpoint covers seq \(covers), not a record before it" }
        if covers >= firstSeq {
            guard hashes[Int(covers - firstSeq)] == head else {
                return "card checkpoint head is not the hash of the record it names (seq \(covers)): the records before it were rewritten"
            }
        }
        if let expected, keyHex != expected {
            return "card checkpoint signed by card key \(keyHex.prefix(18))…, not the owner's \(expected.prefix(18))…: forged"
        }
        if let earlier, keyHex != earlier {
            return "card checkpoint signed by card key \(keyHex.prefix(18))…, unlike the earlier card checkpoints (\(earlier.prefix(18))…): forged"
        }
        guard let point = AuditCrypto.unhex(keyHex), let key = try? P256.Signing.PublicKey(x963Representation: point),
              let der = AuditCrypto.unhex(sigHex), let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return "card checkpoint key or signature is not a P-256 key or ECDSA signature"
        }
        guard key.isValidSignature(signature, for: AuditCrypto.cardCheckpointMessage(owner: owner, seq: covers, head: head)) else {
            return "card checkpoint signature does not verify: it was forged or the record altered"
        }
        return nil
    }

    /// A P-256 public key in PEM (`--card-key`) as the hex of its point, as card checkpoints name it.
    public static func cardKeyHex(pem: String) -> String? {
        (try? P256.Signing.PublicKey(pemRepresentation: pem)).map { AuditCrypto.hex(Array($0.x963Representation)) }
    }
}

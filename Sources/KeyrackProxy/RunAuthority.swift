import Crypto
import Foundation
import KeyrackNames
import Locking
import NIOSSL
import SwiftASN1
import X509

/// The certificate authority of one run: a P-256 key made in memory when the run starts, never
/// written anywhere, gone with the process. Its certificate (public) is what the program is told
/// to trust; it signs a leaf for each host the proxy opens, on first use, valid for a day at most
/// and only for that one name, and is constrained to sign leaves only (path length 0).
public final class RunAuthority: Sendable {
    private let key: P256.Signing.PrivateKey
    private let certificate: Certificate
    private let keyIdentifier: ArraySlice<UInt8>
    /// The server context made for each host so far.
    private let contexts = Locked<[String: NIOSSLContext]>([:])

    public init(now: Date = Date()) throws {
        key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("keyrack")
            CommonName("keyrack exec --proxy run CA (pid \(ProcessInfo.processInfo.processIdentifier))")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let ski = SubjectKeyIdentifier(hash: publicKey)
        keyIdentifier = ski.keyIdentifier
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                ski
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
    }

    /// The CA certificate as PEM: what goes into the program's CA bundle.
    public func certificatePEM() throws -> String {
        try certificate.serializeAsPEM().pemString
    }

    /// The TLS server context that presents a leaf for `host` (a DNS name or an IP literal),
    /// made once per host and run.
    func serverContext(host: String) throws -> NIOSSLContext {
        try contexts.withLock { contexts in
            if let made = contexts[host] { return made }
            let leafKey = P256.Signing.PrivateKey()
            let leaf = try self.leaf(host: host, key: leafKey)
            var der = DER.Serializer()
            try der.serialize(leaf)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: der.serializedBytes, format: .der))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)))
            configuration.minimumTLSVersion = .tlsv12
            // The leaf is for the CONNECT's host and the request goes there whatever the client
            // hello says; a hello that names another host (SNI) is refused, so a client is never
            // led to think it talks to a host it does not.
            let expected = host.lowercased()
            configuration.sslContextCallback = { values, promise in
                if let sni = values.serverHostname, sni.lowercased() != expected {
                    promise.fail(SNIMismatch(requested: String(sni.prefix(253))))
                } else {
                    promise.succeed(.noChanges)
                }
            }
            // HTTP/1.1 only: the proxy reads requests with NIOHTTP1.
            configuration.applicationProtocols = ["http/1.1"]
            let context = try NIOSSLContext(configuration: configuration)
            contexts[host] = context
            return context
        }
    }

    func leaf(host: String, key leafKey: P256.Signing.PrivateKey, now: Date = Date()) throws -> Certificate {
        let name: GeneralName
        if let ip = RunAuthority.ipBytes(host) {
            name = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip)))
        } else {
            name = .dnsName(host)
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(86_400),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(String(host.prefix(64))) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([name])
                AuthorityKeyIdentifier(keyIdentifier: keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
    }

    struct SNIMismatch: Error, CustomStringConvertible {
        let requested: String
        var description: String { "the TLS client hello names \(requested), not the host of its CONNECT" }
    }

    /// The 4 or 16 address bytes of an IPv4 / IPv6 literal (brackets allowed), else nil.
    static func ipBytes(_ host: String) -> [UInt8]? {
        var h = host
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, h, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

import Foundation
import TestSupport
import XCTest

/// A stand-in AWS endpoint for the keycard SigV4 test: Python's https server (the test CA's
/// certificate) that checks each request's SigV4 signature with botocore's own signer (from the
/// project venv) against the real credentials it is given in its environment, logs the verdict
/// and the credentials it saw, and answers STS GetCallerIdentity as AWS does (or 403
/// SignatureDoesNotMatch).
enum SigV4Server {
    static let script = """
    import http.server, json, os, ssl, sys
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    AK, SK, TOKEN = os.environ["REAL_AK"], os.environ["REAL_SK"], os.environ["REAL_TOKEN"]
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            auth = self.headers.get("Authorization", "")
            fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
            ak, date, region, service, _ = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            request = AWSRequest(method="POST", url="https://%s%s" % (self.headers["Host"], self.path), data=body,
                                 headers={h: self.headers[h] for h in signed})
            request.context["timestamp"] = self.headers["X-Amz-Date"]
            signer = SigV4Auth(Credentials(AK, SK, TOKEN), service, region)
            canonical = signer.canonical_request(request)
            expected = signer.signature(signer.string_to_sign(request, canonical), request)
            valid = expected == fields["Signature"] and ak == AK and self.headers.get("X-Amz-Security-Token") == TOKEN
            with open(log, "a") as f:
                f.write(json.dumps({"valid": valid, "keyID": ak, "token": self.headers.get("X-Amz-Security-Token"), "body": body.decode()}) + "\\n")
            if valid:
                out = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
                       b'<Arn>arn:aws:iam::123456789012:user/keycard</Arn><UserId>AIDAKEYCARD</UserId><Account>123456789012</Account>'
                       b'</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>')
                self.send_response(200)
            else:
                out = (b'<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error>'
                       b'<RequestId>r1</RequestId></ErrorResponse>')
                self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
    """

    /// Starts it beside `apis` (same test CA); returns the port, the log and the process.
    static func start(_ apis: LoopbackAPIs, keyID: String, secret: String, token: String) throws -> (port: UInt16, log: URL, process: Spawned) {
        func log(_ port: UInt16) -> URL { apis.dir.appendingPathComponent("sigv4-\(port).jsonl") }
        let (port, process) = try apis.launch("sigv4", script: script, python: try CloudServers.venvToolPath("python3"),
                                              environment: ["REAL_AK": keyID, "REAL_SK": secret, "REAL_TOKEN": token]) {
            [apis.pem("api.pem"), apis.pem("api.key"), log($0).path]
        }
        return (port, log(port), process)
    }
}

#!/usr/bin/env python3
"""Writes the scrypt and mlkem768x25519 test vectors in this folder (C2SP CCTV file format).

An independent oracle: it builds every stanza from primitives in Python's `cryptography`
(scrypt, ML-KEM-768, X25519, ChaCha20-Poly1305, HMAC/HKDF-SHA-256) and hashlib (SHA3-256,
SHAKE-256), following the C2SP age spec, X-Wing (draft-connolly-cfrg-xwing-kem) and HPKE
(RFC 9180) as written, never swift-crypto. The cases and their expectations mirror the C2SP CCTV
age suite (`scrypt_*`, `hybrid_*`, `armor_scrypt`, `armor_hybrid`), whose generators were read, not
copied; the CCTV test identities are reused so failures compare easily. Randomness is the CCTV
test stream (ChaCha20 keystream under "TEST RANDOMNESS TEST RANDOMNESS!"), except ML-KEM
encapsulation, which `cryptography` only does randomly: re-running changes the hybrid files'
bytes, never their expectations. The committed files are the ones the tests use.

Run with a Python whose `cryptography` has ML-KEM (>= 46):  python3 generate.py
"""
import base64, hashlib, hmac, os, struct
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
FILE_KEY = b"YELLOW SUBMARINE"
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


# --- bech32 (BIP-173, no length limit) ---------------------------------------------------------
def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _bits(data, frm, to, pad):
    acc = bits = 0
    out = []
    for b in data:
        acc = (acc << frm) | b
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & ((1 << to) - 1))
    if pad and bits:
        out.append((acc << (to - bits)) & ((1 << to) - 1))
    elif not pad:
        assert bits < frm and (acc << (to - bits)) & ((1 << to) - 1) == 0
    return out


def bech32_decode(s):
    s = s.lower()
    sep = s.rindex("1")
    hrp, values = s[:sep], [CHARSET.index(c) for c in s[sep + 1:]]
    assert _polymod(_expand(hrp) + values) == 1
    return hrp, bytes(_bits(values[:-6], 5, 8, False))


def bech32_encode(hrp, data, upper=False):
    low = hrp.lower()
    values = _bits(data, 8, 5, True)
    mod = _polymod(_expand(low) + values + [0] * 6) ^ 1
    s = low + "1" + "".join(CHARSET[v] for v in values + [(mod >> 5 * (5 - i)) & 31 for i in range(6)])
    return s.upper() if upper else s


# --- primitives --------------------------------------------------------------------------------
def b64(b):
    return base64.b64encode(b).decode().rstrip("=")


def not_canonical(s):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return s[:-1] + alphabet[alphabet.index(s[-1]) + 1]


def hkdf(ikm, salt, info, n=32):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def seal0(key, pt):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 12, pt, None)


def x25519_raw(scalar, point):
    try:
        return x25519.X25519PrivateKey.from_private_bytes(scalar).exchange(x25519.X25519PublicKey.from_public_bytes(point))
    except ValueError:  # low-order point: cryptography refuses, the maths gives zero
        return b"\0" * 32


def x25519_base(scalar):
    return x25519.X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def scrypt_key(passphrase, salt, log_n):
    return Scrypt(salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=1 << log_n, r=8, p=1).derive(passphrase.encode())


def xwing_keys(seed):
    expanded = hashlib.shake_256(seed).digest(96)
    dk_pq = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
    dk_t = expanded[64:]
    pk = dk_pq.public_key().public_bytes_raw() + x25519_base(dk_t)
    return dk_pq, dk_t, pk


SUITE_ID = b"HPKE" + struct.pack(">HHH", 0x647A, 0x0001, 0x0003)


def labeled_extract(salt, label, ikm):
    return hmac.new(salt, b"HPKE-v1" + SUITE_ID + label + ikm, hashlib.sha256).digest()


def labeled_expand(prk, label, info, n):
    labeled = struct.pack(">H", n) + b"HPKE-v1" + SUITE_ID + label + info
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + labeled + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


# --- the test file builder ---------------------------------------------------------------------
class TestFile:
    def __init__(self):
        enc = Cipher(algorithms.ChaCha20(b"TEST RANDOMNESS TEST RANDOMNESS!", b"\0" * 16), None).encryptor()
        self.rand = lambda n: enc.update(b"\0" * n)
        self.lines, self.expect, self.comment = [], "success", None
        self.identities, self.passphrases, self.file_key, self.payload = [], [], FILE_KEY, b""
        self.buf = b""

    def line(self, s):
        self.buf += s.encode() + b"\n"

    def unread_line(self):
        body = self.buf[:-1]
        idx = body.rfind(b"\n") + 1
        self.buf = body[:idx]
        return body[idx:].decode()

    def args(self, *a):
        self.line(" ".join(("->",) + a))

    def body(self, data):
        while True:
            chunk, data = data[:48], data[48:]
            self.line(b64(chunk))
            if len(chunk) < 48:
                break

    def scrypt(self, passphrase, log_n, record=True, salt=None, log_n_text=None):
        if record:
            self.passphrases.append(passphrase)
        salt = self.rand(16) if salt is None else salt
        self.args("scrypt", b64(salt), log_n_text or str(log_n))
        self.body(seal0(scrypt_key(passphrase, salt, log_n), self.file_key))

    def x25519(self, identity):
        share = x25519_base(self.rand(32))
        recipient = x25519_base(identity)
        secret = x25519_raw(identity, share)
        self.args("X25519", b64(share))
        self.body(seal0(hkdf(secret, share + recipient, b"age-encryption.org/v1/X25519"), self.file_key))

    def record_hybrid(self, seed):
        self.identities.append(bech32_encode("AGE-SECRET-KEY-PQ-", seed, upper=True))

    def hybrid(self, seed, record=True, share=None):
        if record:
            self.record_hybrid(seed)
        dk_pq, dk_t, pk = xwing_keys(seed)
        ct_t = x25519_base(self.rand(32)) if share is None else share
        ss_t = x25519_raw(dk_t, ct_t)  # = [ephemeral]pk_T, computed from the other side
        ss_pq, ct_pq = dk_pq.public_key().encapsulate()
        shared = hashlib.sha3_256(ss_pq + ss_t + ct_t + pk[1184:] + b"\\.//^\\").digest()
        info = b"age-encryption.org/mlkem768x25519"
        context = b"\0" + labeled_extract(b"", b"psk_id_hash", b"") + labeled_extract(b"", b"info_hash", info)
        secret = labeled_extract(shared, b"secret", b"")
        key = labeled_expand(secret, b"key", context, 32)
        nonce = labeled_expand(secret, b"base_nonce", context, 12)
        self.args("mlkem768x25519", b64(ct_pq + ct_t))
        self.body(ChaCha20Poly1305(key).encrypt(nonce, self.file_key, b""))

    def hmac(self):
        key = hkdf(self.file_key, b"", b"header")
        self.line("--- " + b64(hmac.new(key, self.buf + b"---", hashlib.sha256).digest()))

    def payload_text(self, text):
        nonce = self.rand(16)
        key = hkdf(self.file_key, nonce, b"payload")
        self.payload = text.encode()
        self.buf += nonce + ChaCha20Poly1305(key).encrypt(b"\0" * 11 + b"\x01", self.payload, None)

    def write(self, name, armored=False):
        head = ["expect: " + self.expect]
        if self.expect in ("success", "payload failure"):
            head.append("payload: " + hashlib.sha256(self.payload).hexdigest())
        head.append("file key: " + self.file_key.hex())
        head += ["identity: " + i for i in self.identities]
        head += ["passphrase: " + p for p in self.passphrases]
        data = self.buf
        if armored:
            head.append("armored: yes")
            enc = base64.b64encode(data).decode()
            data = ("-----BEGIN AGE ENCRYPTED FILE-----\n"
                    + "".join(enc[i:i + 64] + "\n" for i in range(0, len(enc), 64))
                    + "-----END AGE ENCRYPTED FILE-----\n").encode()
        if self.comment:
            head.append("comment: " + self.comment)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(("\n".join(head) + "\n\n").encode() + data)


X25519_ID = bech32_decode("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")[1]
HYBRID_ID = bech32_decode("AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG")[1]


def scrypt_case(name, expect="success", comment=None, **kw):
    f = TestFile()
    f.line("age-encryption.org/v1")
    f.scrypt("password", kw.pop("log_n", 10), **kw)
    return f, name, expect, comment


def finish(f, name, expect="success", comment=None, armored=False, mac=True):
    if mac:
        f.hmac()
    f.payload_text("age")
    f.expect, f.comment = expect, comment
    f.write(name, armored)


def main():
    HF, NM = "header failure", "no match"

    # scrypt -----------------------------------------------------------------------------------
    finish(*scrypt_case("scrypt"))
    f, n, e, c = scrypt_case("armor_scrypt"); finish(f, n, armored=True)
    finish(*scrypt_case("scrypt_work_factor_23", HF, "work factor above the default limit of 22",
                        log_n=10, log_n_text="23"))
    for name, text, comment in [
        ("scrypt_work_factor_hex", "0xa", "hexadecimal work factor"),
        ("scrypt_work_factor_leading_garbage", "aa10", "garbage before the work factor"),
        ("scrypt_work_factor_leading_plus", "+10", "plus sign before the work factor"),
        ("scrypt_work_factor_leading_zero_decimal", "010", "leading zero"),
        ("scrypt_work_factor_leading_zero_octal", "012", "leading zero (octal reading would be 10)"),
        ("scrypt_work_factor_negative", "-10", "negative work factor"),
        ("scrypt_work_factor_overflow", "18446744073709551626", "work factor overflows 64 bits (mod 2^64 = 10)"),
        ("scrypt_work_factor_zero", "0", "zero work factor"),
        ("scrypt_work_factor_trailing_space_garbage", "10a", "garbage after the work factor"),
    ]:
        finish(*scrypt_case(name, HF, comment, log_n=10, log_n_text=text))
    finish(*scrypt_case("scrypt_work_factor_wrong", NM, "stanza says 11, key made with 10", log_n=10, log_n_text="11"))

    f = TestFile(); f.line("age-encryption.org/v1"); f.passphrases.append("password")
    f.args("scrypt", b64(f.rand(16))); f.body(b"\0" * 32)
    finish(f, "scrypt_work_factor_missing", HF, "no work factor argument")

    f, n, _, _ = scrypt_case("scrypt_extra_argument")
    body, args = f.unread_line(), f.unread_line()
    f.line(args + " 10"); f.line(body); finish(f, n, HF, "scrypt stanza with four arguments")

    f, n, _, _ = scrypt_case("scrypt_no_match")
    f.passphrases = ["wrong"]; finish(f, n, NM, "wrong passphrase")

    f, n, _, _ = scrypt_case("scrypt_bad_tag")
    body = f.unread_line(); raw = bytearray(base64.b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 0x01; f.line(b64(bytes(raw))); finish(f, n, NM, "the stanza body's tag is corrupted")

    f = TestFile(); f.line("age-encryption.org/v1"); f.scrypt("password", 10); f.scrypt("password", 10, record=False)
    finish(f, "scrypt_double", HF, "two scrypt stanzas")

    f = TestFile(); f.line("age-encryption.org/v1"); f.scrypt("password", 10); f.x25519(X25519_ID)
    f.identities.append(bech32_encode("AGE-SECRET-KEY-", X25519_ID, upper=True))
    finish(f, "scrypt_and_x25519", HF, "scrypt stanza beside an X25519 stanza the identity opens")

    f = TestFile(); f.line("age-encryption.org/v1"); f.x25519(f.rand(32)); f.scrypt("password", 10)
    finish(f, "scrypt_after_x25519", HF, "scrypt stanza second, after an X25519 stanza for someone else")

    f = TestFile(); f.line("age-encryption.org/v1"); f.file_key = FILE_KEY + b"\x01"; f.scrypt("password", 10)
    f.file_key = FILE_KEY; finish(f, "scrypt_long_file_key", HF, "the wrapped file key is 17 bytes (body 33)")

    f, n, _, _ = scrypt_case("scrypt_not_canonical_body")
    body = f.unread_line(); f.line(not_canonical(body)); finish(f, n, HF, "non-canonical base64 in the body")

    f = TestFile(); f.line("age-encryption.org/v1"); f.passphrases.append("password")
    salt = f.rand(16); f.args("scrypt", not_canonical(b64(salt)), "10")
    f.body(seal0(scrypt_key("password", salt, 10), FILE_KEY)); finish(f, "scrypt_not_canonical_salt", HF, "non-canonical salt")

    for name, size in [("scrypt_salt_long", 17), ("scrypt_salt_short", 15)]:
        f = TestFile(); f.line("age-encryption.org/v1"); f.scrypt("password", 10, salt=f.rand(size))
        finish(f, name, HF, f"{size}-byte salt")

    f = TestFile(); f.line("age-encryption.org/v1"); f.passphrases.append("password")
    f.args("scrypt", "10"); f.body(b"\0" * 32); finish(f, "scrypt_salt_missing", HF, "no salt argument")

    f, n, _, _ = scrypt_case("scrypt_uppercase")
    body, args = f.unread_line(), f.unread_line()
    f.line(args.replace("scrypt", "Scrypt")); f.line(body); finish(f, n, NM, "stanza type is case-sensitive")

    # mlkem768x25519 ---------------------------------------------------------------------------
    def hybrid_file():
        f = TestFile(); f.line("age-encryption.org/v1"); return f

    f = hybrid_file(); f.hybrid(HYBRID_ID); finish(f, "hybrid")
    f = hybrid_file(); f.hybrid(HYBRID_ID); finish(f, "armor_hybrid", armored=True)
    f = hybrid_file(); f.x25519(f.rand(32)); f.hybrid(HYBRID_ID)
    finish(f, "hybrid_and_x25519", comment="an X25519 stanza for someone else first; reading does not enforce labels")
    f = hybrid_file(); f.hybrid(f.rand(32), record=False); f.hybrid(HYBRID_ID)
    finish(f, "hybrid_multiple_recipients", comment="a hybrid stanza for another key first")
    f = hybrid_file(); f.args("grease", "x"); f.body(b""); f.hybrid(HYBRID_ID); f.args("grease"); f.body(b"\x01" * 10)
    finish(f, "hybrid_grease", comment="unknown stanzas around the hybrid one are ignored")
    f = hybrid_file(); f.record_hybrid(HYBRID_ID); f.hybrid(f.rand(32), record=False)
    finish(f, "hybrid_no_match", NM, "the only stanza is for another key")

    f = hybrid_file(); f.hybrid(HYBRID_ID)
    body = f.unread_line(); raw = bytearray(base64.b64decode(body + "=" * (-len(body) % 4))); raw[0] ^= 0x80
    f.line(b64(bytes(raw))); finish(f, "hybrid_bad_tag", NM, "ciphertext of the body corrupted")

    for name, offset, comment in [("hybrid_currupted_enc_mlkem", 10, "the ML-KEM part of enc is corrupted"),
                                  ("hybrid_currupted_enc_x25519", 1120 - 10, "the X25519 part of enc is corrupted")]:
        f = hybrid_file(); f.hybrid(HYBRID_ID)
        body, args = f.unread_line(), f.unread_line()
        enc = bytearray(base64.b64decode(args.split(" ")[2] + "==")); enc[offset] ^= 0xFF
        f.line("-> mlkem768x25519 " + b64(bytes(enc))); f.line(body); finish(f, name, NM, comment)

    f = hybrid_file(); f.hybrid(HYBRID_ID)
    body, args = f.unread_line(), f.unread_line(); f.line(args + " extra"); f.line(body)
    finish(f, "hybrid_extra_argument", HF, "hybrid stanza with an extra argument")

    f = hybrid_file(); f.hybrid(HYBRID_ID, share=b"\0" * 32)
    finish(f, "hybrid_identity", HF, "the X25519 part of enc is the identity point (all-zero shared secret)")
    low = bytes([0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
                 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0xd7])
    f = hybrid_file(); f.hybrid(HYBRID_ID, share=low)
    finish(f, "hybrid_low_order", HF, "the X25519 part of enc is a point of order 8 (all-zero shared secret)")

    f = hybrid_file(); f.file_key = FILE_KEY + b"\x01"; f.hybrid(HYBRID_ID); f.file_key = FILE_KEY
    finish(f, "hybrid_long_file_key", HF, "the sealed file key is 17 bytes (body 33)")

    for name, delta, comment in [("hybrid_long_share", 1, "enc is 1121 bytes"), ("hybrid_short_share", -1, "enc is 1119 bytes")]:
        f = hybrid_file(); f.hybrid(HYBRID_ID)
        body, args = f.unread_line(), f.unread_line()
        enc = base64.b64decode(args.split(" ")[2] + "==")
        enc = enc + b"\0" if delta > 0 else enc[:-1]
        f.line("-> mlkem768x25519 " + b64(enc)); f.line(body); finish(f, name, HF, comment)

    f = hybrid_file(); f.hybrid(HYBRID_ID)
    body, args = f.unread_line(), f.unread_line(); f.line(args); f.line(not_canonical(body))
    finish(f, "hybrid_not_canonical_body", HF, "non-canonical base64 body")

    f = hybrid_file(); f.hybrid(HYBRID_ID)
    body, args = f.unread_line(), f.unread_line()
    f.line("-> mlkem768x25519 " + not_canonical(args.split(" ")[2])); f.line(body)
    finish(f, "hybrid_not_canonical_enc", HF, "non-canonical base64 enc")

    f = hybrid_file(); f.hybrid(HYBRID_ID)
    body, args = f.unread_line(), f.unread_line(); f.line(args.replace("mlkem768x25519", "MLKEM768X25519")); f.line(body)
    finish(f, "hybrid_uppercase", NM, "stanza type is case-sensitive")

    f = hybrid_file(); f.identities.append(bech32_encode("AGE-SECRET-KEY-", X25519_ID, upper=True)); f.hybrid(HYBRID_ID)
    body, args = f.unread_line(), f.unread_line(); f.line("-> X25519 " + args.split(" ")[2]); f.line(body)
    finish(f, "hybrid_x25519_arg", HF, "an X25519 stanza carrying a hybrid enc")


if __name__ == "__main__":
    main()

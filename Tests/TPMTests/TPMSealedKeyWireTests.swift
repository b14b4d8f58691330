import XCTest
@testable import TPM

/// TPMSealedKey's wire forms (TPM2B_PUBLIC, TPM2B_PRIVATE, TPM2B_NAME through libtss2's MU
/// functions, one generic copy of the calling convention): they round-trip, and a blob must
/// parse to its last byte. No TPM needed.
final class TPMSealedKeyWireTests: XCTestCase {
    func testTheWireFormsRoundTripAndABlobMustParseToItsLastByte() throws {
        let blob = TPMSealedKey.marshal(TPMTemplates.ecdhKey)
        XCTAssertGreaterThan(blob.count, 2)
        XCTAssertEqual(TPMSealedKey.marshal(try TPMSealedKey.unmarshalPublic(blob)), blob)
        for bad in [blob + [0], Array(blob.dropLast())] {
            XCTAssertThrowsError(try TPMSealedKey.unmarshalPublic(bad)) {
                XCTAssertEqual($0 as? TPMError, .malformedKey("the public area does not parse"))
            }
        }

        let emptyPrivate: [UInt8] = [0, 0]
        XCTAssertEqual(TPMSealedKey.marshal(try TPMSealedKey.unmarshalPrivate(emptyPrivate)), emptyPrivate)
        XCTAssertThrowsError(try TPMSealedKey.unmarshalPrivate([0, 4, 1])) {
            XCTAssertEqual($0 as? TPMError, .malformedKey("the private area does not parse"))
        }

        // A template has no public point yet: not a key to keep.
        XCTAssertThrowsError(try TPMSealedKey(publicBlob: blob, privateBlob: emptyPrivate, parentName: [], hasPIN: false)) {
            XCTAssertEqual($0 as? TPMError, .malformedKey("the public point is not 2 × 32 bytes"))
        }
    }
}

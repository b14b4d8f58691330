import KeyrackApp
import KeyrackClient
import XCTest

/// `daemon run`'s idle timeout: the option, else KEYRACK_DAEMON_IDLE_SECONDS, else 15 minutes;
/// 0 means never; anything else the duration grammar refuses is a usage error.
final class DaemonServeTests: XCTestCase {
    func testTheOptionWinsOverTheEnvironmentWhichWinsOverTheDefault() throws {
        XCTAssertEqual(try DaemonServe.idleMilliseconds("30m", environmentSeconds: "5"), 30 * 60 * 1000)
        XCTAssertEqual(try DaemonServe.idleMilliseconds(nil, environmentSeconds: "5"), 5000)
        XCTAssertEqual(try DaemonServe.idleMilliseconds(nil, environmentSeconds: nil), 15 * 60 * 1000)
    }

    func testZeroMeansNever() throws {
        XCTAssertNil(try DaemonServe.idleMilliseconds("0", environmentSeconds: nil))
        XCTAssertNil(try DaemonServe.idleMilliseconds("0s", environmentSeconds: nil))
        XCTAssertNil(try DaemonServe.idleMilliseconds(nil, environmentSeconds: "0"))
    }

    func testAnUnreadableDurationIsAUsageErrorNamingIt() {
        XCTAssertThrowsError(try DaemonServe.idleMilliseconds("soon", environmentSeconds: nil)) { error in
            XCTAssertEqual(error as? DaemonServe.InvalidIdleTimeout, .init(text: "soon"), "the CLI words it `invalid --idle-timeout 'soon': …`")
            XCTAssertTrue("\(error)".hasSuffix("(0 = never)"), "\(error)")
            assertNamesNoCommandOrFlag("\(error)")
        }
        XCTAssertThrowsError(try DaemonServe.idleMilliseconds(nil, environmentSeconds: "x")) { error in
            XCTAssertEqual(error as? DaemonServe.InvalidIdleTimeout, .init(text: "xs"))
        }
    }
}

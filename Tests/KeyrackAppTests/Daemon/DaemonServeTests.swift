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
            XCTAssertTrue((error as? UsageError)?.message.hasPrefix("invalid --idle-timeout 'soon': ") == true, "\(error)")
            XCTAssertTrue((error as? UsageError)?.message.hasSuffix("(0 = never)") == true, "\(error)")
        }
        XCTAssertThrowsError(try DaemonServe.idleMilliseconds(nil, environmentSeconds: "x")) { error in
            XCTAssertTrue((error as? UsageError)?.message.contains("'xs'") == true, "\(error)")
        }
    }
}

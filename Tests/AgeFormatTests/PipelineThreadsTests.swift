import Foundation
import XCTest
@testable import AgeFormat

/// The pipeline's own threads and core count (PipelineThreads), which replaced Dispatch and
/// ProcessInfo so the static front end can run the pipeline without Foundation.
final class PipelineThreadsTests: XCTestCase {
    /// The depth of the pipeline is the cores this process may use, as Foundation counts them.
    func testMachineParallelismIsTheCoresThisProcessMayUse() {
        XCTAssertEqual(PipelineThreads.availableCores, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertEqual(STREAMParallelism.machine.workers, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Every worker index runs once, index 0 on the calling thread, and `run` returns only after all.
    func testRunStartsEachWorkerOnceAndWaitsForAll() {
        let monitor = PipelineMonitor()
        var seen: [Int] = []
        var onCaller = false
        let caller = pthread_self()
        PipelineThreads.run(5) { i in
            if i == 0 { onCaller = pthread_equal(pthread_self(), caller) != 0 }
            monitor.lock()
            seen.append(i)
            monitor.unlock()
        }
        XCTAssertEqual(seen.sorted(), [0, 1, 2, 3, 4])
        XCTAssertTrue(onCaller)
    }
}

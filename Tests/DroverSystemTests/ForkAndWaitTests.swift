import DroverSystem
import Testing

extension SystemTests {
    @Suite struct ForkAndWaitTests {
        @Test func childThatExitsThreeIsReportedAsExitedWithStatusThree() throws {
            let child = try ForkedChild.spawn { 3 }
            let status = try child.waitForExit()
            #expect(status == .exited(3))
            #expect(status?.description == "exited with status 3")
        }

        @Test func childKilledBySIGKILLIsReportedAsSignaledWithoutCore() throws {
            let child = try ForkedChild.spawn {
                try? Posix.kill(Posix.getpid(), .kill)
                return 99  // not reached: KILL cannot be caught
            }
            let status = try child.waitForExit()
            #expect(status == .signaled(.kill, coreDumped: false))
            #expect(status?.description == "killed by signal KILL")
        }

        @Test func tryWaitReturnsNilWhileTheChildRuns() throws {
            let child = try ForkedChild.spawn {
                _ = try? Poller().poll(timeoutMilliseconds: nil)  // sleeps until killed
                return 2
            }
            #expect(try Posix.tryWait(child.pid) == nil)
            try Posix.kill(child.pid, .term)
            #expect(try child.waitForExit() == .signaled(.term, coreDumped: false))
        }

        @Test func waitingForAProcessThatIsNotAChildThrowsNoChildProcess() {
            let error = #expect(throws: SystemError.self) { try Posix.wait(Posix.getpid()) }
            #expect(error?.code == .noChildProcess)
        }

        @Test func killingAGoneProcessThrowsNoSuchProcess() throws {
            let child = try ForkedChild.spawn { 0 }
            #expect(try child.waitForExit() == .exited(0))
            let error = #expect(throws: SystemError.self) { try Posix.kill(child.pid, .term) }
            #expect(error?.code == .noSuchProcess)
        }

        @Test func killProcessGroupKillsTheChildsGroup() throws {
            let child = try ForkedChild.spawn {
                guard (try? Posix.setProcessGroup()) != nil else { return 1 }
                _ = try? Poller().poll(timeoutMilliseconds: nil)
                return 2
            }
            // Both sides set the group, so it exists whichever runs first.
            try Posix.setProcessGroup(of: child.pid, to: child.pid)
            try Posix.killProcessGroup(child.pid, .kill)
            #expect(try child.waitForExit() == .signaled(.kill, coreDumped: false))
        }

        @Test func execReplacesTheChildWithTheProgram() throws {
            let child = try ForkedChild.spawn {
                _ = try? Posix.exec(argv: ["/bin/sh", "-c", "exit 4"])
                return 1
            }
            #expect(try child.waitForExit() == .exited(4))
        }

        @Test func execOfAMissingProgramThrowsNoSuchFile() throws {
            let child = try ForkedChild.spawn {
                do throws(SystemError) {
                    try Posix.exec(path: "/nonexistent/drover", argv: ["drover"])
                } catch {
                    return error.code == .noSuchFile ? 0 : 2
                }
            }
            #expect(try child.waitForExit() == .exited(0))
        }
    }
}

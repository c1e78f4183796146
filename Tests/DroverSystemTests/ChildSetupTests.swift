import DroverSystem
import Testing

extension SystemTests {
    @Suite struct ChildSetupTests {
        @Test func childWhoseParentIsNotTheMasterExitsAtOnce() throws {
            let child = try ForkedChild.spawn {
                // The child's own id is never its parent's, so this master is "gone".
                try? ChildSetup.run(masterPID: Posix.getpid(), deathSignal: .kill, signalPipe: nil)
                return 0
            }
            #expect(try child.waitForExit() == .exited(ChildSetup.masterGoneExitStatus))
        }

        @Test func childOfTheExpectedMasterCarriesOn() throws {
            let master = Posix.getpid()
            let child = try ForkedChild.spawn {
                guard (try? ChildSetup.run(masterPID: master, deathSignal: .kill, signalPipe: nil)) != nil else {
                    return 1
                }
                return 0
            }
            #expect(try child.waitForExit() == .exited(0))
        }

        /// A stand-in master forks a worker that runs ChildSetup and then `worker`, which writes
        /// "r" on the pipe it is given once it is up and then would sleep 30 s; the master exits
        /// as soon as it reads "r". The lifeline, held by both, hangs up only when the worker is
        /// gone too, which within the timeout only PR_SET_PDEATHSIG explains.
        func masterLeavingItsWorker(_ worker: (Pipe) -> Never) throws -> ForkedChild {
            try ForkedChild.spawn {
                let masterPID = Posix.getpid()
                guard let ready = try? Pipe(), let forked = try? Posix.fork() else { return 1 }
                switch forked {
                case .child:
                    guard (try? ChildSetup.run(masterPID: masterPID, deathSignal: .kill, signalPipe: nil)) != nil else { Posix.exit(1) }
                    worker(ready)
                case .parent:
                    try? ready.writeEnd.close()
                    var bytes: [UInt8] = []
                    _ = try? ready.readEnd.read(into: &bytes)  // blocks until the worker is up
                    return bytes == Array("r".utf8) ? 0 : 3
                }
            }
        }

        /// Says it is up, then waits for a death signal.
        static func upThenWaiting(_ ready: Pipe) -> Never {
            _ = try? ready.writeEnd.writeAll("r")
            _ = try? Poller().poll(timeoutMilliseconds: 30_000)
            Posix.exit(2)
        }

        @Test func workerDiesWithItsMaster() throws {
            let master = try masterLeavingItsWorker(Self.upThenWaiting)
            #expect(try master.waitForExit(timeoutMilliseconds: 10_000) == .exited(0))
        }

        /// As above, but the worker hops to a new thread first, as every supervised child does
        /// (``ChildSetup/continueOnNewThread(_:)``), and starts one more: the parent-death signal
        /// belongs to the parked thread, which must keep it armed.
        @Test func workerOnItsNewThreadStillDiesWithItsMaster() throws {
            let master = try masterLeavingItsWorker { ready in
                try? ChildSetup.continueOnNewThread {
                    do {
                        // One more thread, as a worker starts its lease keeper.
                        try ChildSetup.continueOnNewThread { Self.upThenWaiting(ready) }
                    } catch {
                        Posix.exit(4)
                    }
                }
                Posix.exit(5)
            }
            #expect(try master.waitForExit(timeoutMilliseconds: 10_000) == .exited(0))
        }

        /// The stand-in master is a subreaper; its child forks a grandchild that exits 7 and then
        /// exits itself without reaping it. The orphan is re-parented to the master, not to init,
        /// so the master's waitAny reaps it.
        @Test func subreaperReapsAnOrphanedGrandchildWithWaitAny() throws {
            let master = try ForkedChild.spawn {
                guard (try? Posix.setChildSubreaper()) != nil, let forked = try? Posix.fork() else { return 1 }
                guard case .parent(let child) = forked else {
                    if case .child? = try? Posix.fork() { Posix.exit(7) }
                    Posix.exit(0)
                }
                guard (try? Posix.wait(child)) == .exited(0) else { return 2 }
                guard let orphan = try? Posix.waitAny(nonBlocking: false) else { return 3 }
                guard orphan.pid != child, orphan.status == .exited(7) else { return 4 }
                // No children left: waitAny reports none rather than throwing ECHILD.
                do {
                    return try Posix.waitAny(nonBlocking: true) == nil ? 0 : 5
                } catch {
                    return 6
                }
            }
            #expect(try master.waitForExit() == .exited(0))
        }
    }
}

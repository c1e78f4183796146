import DroverSupervisor
import DroverSystem
import Testing

@Suite struct PoolPlanTests {
    func child(_ pid: Int32, _ pool: String, busy: Bool = false, retiring: Bool = false, started: Int64 = 0) -> PoolPlan.Running {
        PoolPlan.Running(pid: ProcessID(pid), pool: pool, isBusy: busy, isRetiring: retiring,
                         started: MonotonicClock.Instant(nanoseconds: started))
    }

    @Test func emptyPoolsAreFilled() {
        let actions = PoolPlan.diff(wanted: [("a", 2), ("b", 1)], running: [])
        #expect(actions == [.spawn(pool: "a"), .spawn(pool: "a"), .spawn(pool: "b")])
    }

    @Test func poolsAtSizeNeedNothing() {
        #expect(PoolPlan.diff(wanted: [("a", 2)], running: [child(1, "a"), child(2, "a")]).isEmpty)
    }

    @Test func retiringChildrenAreReplacedBeforeTheyLeave() {
        let actions = PoolPlan.diff(wanted: [("a", 2)], running: [child(1, "a", retiring: true), child(2, "a")])
        #expect(actions == [.spawn(pool: "a")])
    }

    @Test func excessRetiresIdleChildrenFirstThenTheYoungest() {
        let running = [child(1, "a", busy: true, started: 1), child(2, "a", started: 2), child(3, "a", started: 3), child(4, "a", busy: true, started: 4)]
        #expect(PoolPlan.diff(wanted: [("a", 1)], running: running) == [.retire(ProcessID(3)), .retire(ProcessID(2)), .retire(ProcessID(4))])
    }

    @Test func childrenOfARemovedPoolAreRetired() {
        let actions = PoolPlan.diff(wanted: [("b", 1)], running: [child(1, "a"), child(2, "a", retiring: true)])
        #expect(actions == [.spawn(pool: "b"), .retire(ProcessID(1))])
    }
}

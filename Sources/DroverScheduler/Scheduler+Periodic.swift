import DroverCore
import DroverQueue
import Foundation

// MARK: - Periodic jobs
//
// Each entry has a cursor: the last tick dealt with (fired or skipped, by this scheduler or any
// other). On start-up the cursor is the entry's last-fired mark in Redis, so ticks missed while
// no scheduler ran are found and planned by the catch-up rule (`TickPlan`); an entry that never
// fired starts from now. Ticks fired by another scheduler first come back as "already done".

extension Scheduler {
    func loadPeriodicCursors() throws(QueueError) {
        let marks = try store.periodicMarks()
        let now = Date()
        cursors = options.periodic.map { entry in
            marks[entry.name].map { Date(timeIntervalSince1970: TimeInterval($0.tick)) } ?? now
        }
        nextTicks = options.periodic.indices.map { _ in nil }
        for index in options.periodic.indices {
            nextTicks[index] = options.periodic[index].nextTick(after: min(cursors[index], now))
        }
    }

    /// Fires (or skips) every tick that came due.
    func firePeriodic() throws(QueueError) {
        let now = Date()
        for index in options.periodic.indices {
            guard let next = nextTicks[index], next.date <= now else { continue }
            let entry = options.periodic[index]
            let plan = TickPlan.plan(entry, after: cursors[index], now: now, catchUp: options.catchUp)
            if let last = plan.skipped.last {
                if try store.skip(entry: entry.name, tick: last) {
                    let count = plan.skippedMore ? "\(plan.skipped.count) or more" : "\(plan.skipped.count)"
                    logger.warning("periodic \(entry.name): skipped \(count) missed tick(s) from \(Self.utc(plan.skipped[0])) to \(Self.utc(last)): older than the catch-up window (\(options.catchUp))")
                }
                cursors[index] = last.date
            }
            for tick in plan.fire {
                if let id = try store.fire(entry, tick: tick) {
                    fired += 1
                    let late = now.timeIntervalSince(tick.date)
                    if late >= TickPlan.onTimeGrace.seconds {
                        logger.info("periodic \(entry.name): fired missed tick \(Self.utc(tick)) (\(Int(late)) s late, within catch-up) as job \(id)")
                    } else {
                        logger.debug("periodic \(entry.name): fired tick \(Self.utc(tick)) as job \(id)")
                    }
                }
                cursors[index] = tick.date
            }
            nextTicks[index] = plan.next
        }
    }

    static func utc(_ tick: CronTick) -> String {
        Timestamp.rfc3339(milliseconds: tick.id * 1000)
    }
}

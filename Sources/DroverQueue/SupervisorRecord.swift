import DroverCore
import Foundation

/// What a running supervisor (`drover worker`) publishes about itself once a second, so that
/// `drover workers`, the HTTP API and the dashboard can show every host's children without
/// talking to the masters. One JSON value per supervisor in the `supervisors` hash.
public struct SupervisorRecord: Codable, Sendable, Equatable {
    /// `HOST:PID`: unique while the master lives, and what `drover control` addresses.
    public var id: String
    public var host: String
    public var pid: Int32
    /// `--name`, if the operator gave one.
    public var name: String?
    /// When the master started (ms since the epoch).
    public var startedAt: Int64
    /// When this record was written (ms since the epoch).
    public var heartbeatAt: Int64
    /// The master's `STATUS=` line.
    public var status: String
    /// Jobs its children ended since it started.
    public var jobsDone: Int
    public var pools: [Pool]
    public var children: [Child]

    enum CodingKeys: String, CodingKey {
        case id, host, pid, name, status, pools, children
        case startedAt = "started_at", heartbeatAt = "heartbeat_at", jobsDone = "jobs_done"
    }

    /// A pool as the master runs it now.
    public struct Pool: Codable, Sendable, Equatable {
        public var name: String
        public var queues: [String]
        /// Children wanted now: the config's concurrency plus TTIN/TTOU and `control scale` steps.
        public var concurrency: Int

        public init(name: String, queues: [String], concurrency: Int) {
            self.name = name
            self.queues = queues
            self.concurrency = concurrency
        }
    }

    /// One child process.
    public struct Child: Codable, Sendable, Equatable {
        public var pid: Int32
        /// Its pool; for a service child (scheduler, http), the service's name.
        public var pool: String
        /// `worker`, `scheduler` or `http`.
        public var role: String
        /// `starting` (not heard from yet), `idle`, `busy` or `leaving`.
        public var state: String
        public var jobID: String?
        /// When its current job started (ms since the epoch).
        public var jobStartedAt: Int64?
        public var jobsDone: Int
        /// Resident memory, from `/proc` (nil when it could not be read).
        public var rssBytes: Int?
        /// When it was forked (ms since the epoch).
        public var startedAt: Int64

        enum CodingKeys: String, CodingKey {
            case pid, pool, role, state
            case jobID = "job_id", jobStartedAt = "job_started_at", jobsDone = "jobs_done", rssBytes = "rss_bytes"
            case startedAt = "started_at"
        }

        public init(pid: Int32, pool: String, role: String, state: String, jobID: String? = nil, jobStartedAt: Int64? = nil,
                    jobsDone: Int = 0, rssBytes: Int? = nil, startedAt: Int64) {
            self.pid = pid
            self.pool = pool
            self.role = role
            self.state = state
            self.jobID = jobID
            self.jobStartedAt = jobStartedAt
            self.jobsDone = jobsDone
            self.rssBytes = rssBytes
            self.startedAt = startedAt
        }

        /// Appends the child as JSON, keys sorted, nil members left out (as `JSONEncoder` does).
        func write(into out: inout String) {
            out.append("{")
            if let jobID {
                out.append("\"job_id\":")
                JSONWriter.quote(jobID, into: &out)
                out.append(",")
            }
            if let jobStartedAt { out.append("\"job_started_at\":\(jobStartedAt),") }
            out.append("\"jobs_done\":\(jobsDone),\"pid\":\(pid),\"pool\":")
            JSONWriter.quote(pool, into: &out)
            out.append(",\"role\":")
            JSONWriter.quote(role, into: &out)
            if let rssBytes { out.append(",\"rss_bytes\":\(rssBytes)") }
            out.append(",\"started_at\":\(startedAt),\"state\":")
            JSONWriter.quote(state, into: &out)
            out.append("}")
        }
    }

    public init(id: String, host: String, pid: Int32, name: String? = nil, startedAt: Int64, heartbeatAt: Int64,
                status: String, jobsDone: Int, pools: [Pool], children: [Child]) {
        self.id = id
        self.host = host
        self.pid = pid
        self.name = name
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.status = status
        self.jobsDone = jobsDone
        self.pools = pools
        self.children = children
    }

    /// A record is stale when its master has not written it for this long (it writes every
    /// second): the master is frozen, cut off from Redis, or dead without cleaning up.
    public static let staleAfterMilliseconds: Int64 = 15_000

    /// Whether the master stopped publishing (see ``staleAfterMilliseconds``).
    /// - Parameter now: the current time, ms since the epoch.
    public func isStale(now: Int64) -> Bool {
        now - heartbeatAt > Self.staleAfterMilliseconds
    }

    /// Compact JSON with snake_case keys in sorted order, as stored in Redis and served by the API
    /// (the same text `JSONEncoder` with `.sortedKeys` gives).
    ///
    /// Written with ``JSONWriter`` rather than `JSONEncoder`: the master writes its record every
    /// second, and the encoder's code (Foundation's plus the Codable runtime's) was a fifth of
    /// what the idle master kept resident.
    public func json() -> String {
        var out = "{\"children\":["
        for (index, child) in children.enumerated() {
            if index > 0 { out.append(",") }
            child.write(into: &out)
        }
        out.append("],\"heartbeat_at\":\(heartbeatAt),\"host\":")
        JSONWriter.quote(host, into: &out)
        out.append(",\"id\":")
        JSONWriter.quote(id, into: &out)
        out.append(",\"jobs_done\":\(jobsDone)")
        if let name {
            out.append(",\"name\":")
            JSONWriter.quote(name, into: &out)
        }
        out.append(",\"pid\":\(pid),\"pools\":[")
        for (index, pool) in pools.enumerated() {
            if index > 0 { out.append(",") }
            out.append("{\"concurrency\":\(pool.concurrency),\"name\":")
            JSONWriter.quote(pool.name, into: &out)
            out.append(",\"queues\":[")
            for (queueIndex, queue) in pool.queues.enumerated() {
                if queueIndex > 0 { out.append(",") }
                JSONWriter.quote(queue, into: &out)
            }
            out.append("]}")
        }
        out.append("],\"started_at\":\(startedAt),\"status\":")
        JSONWriter.quote(status, into: &out)
        out.append("}")
        return out
    }

    /// Reads a stored record; nil when it is not one (a foreign or older writer).
    public init?(json: String) {
        guard let record = try? JSONDecoder().decode(SupervisorRecord.self, from: Data(json.utf8)) else { return nil }
        self = record
    }
}

/// A supervisor counter kept in Redis, so it survives restarts and sums across hosts:
/// `child_restarts`, `hard_limit_kills`, `soft_limit_signals`, `memory_recycles`,
/// `max_jobs_recycles`, each per pool.
public struct SupervisorCounter: Sendable, Equatable, Hashable {
    public var name: String
    public var pool: String
    public var value: Int

    public init(name: String, pool: String, value: Int) {
        self.name = name
        self.pool = pool
        self.value = value
    }

    /// The counters a supervisor increments.
    public static let names = ["child_restarts", "hard_limit_kills", "soft_limit_signals", "memory_recycles", "max_jobs_recycles"]
}

import Drover

/// Enqueues the welcome mail of a new user, to run in 30 seconds on queue `mail`.
public func scheduleWelcome(userID: Int, redisURL: String) async throws -> JobID {
    let producer = Producer(url: try RedisURL(parsing: redisURL))
    var options = JobOptions()
    options.queue = "mail"
    options.runAt = Timestamp.nowMilliseconds() + 30_000
    return try await producer.enqueue(SendWelcome.name, arguments: SendWelcome.Arguments(userID: userID), options: options)
}

import DroverCore
import DroverQueue

/// Decides a run's outcome from what the handler did: a pure function, tested with values.
enum Verdict {
    static func outcome(of result: Result<String, any Error>, job: FetchedJob, handler: AnyJobHandler,
                        stopReason: StopReason?, softLimit: EffectiveLimit?, now: Int64 = Timestamp.nowMilliseconds(),
                        unit: Double = Double.random(in: 0..<1)) -> RunOutcome {
        switch result {
        case .success(let json):
            // A job that returns despite a cancel or soft limit did its work: it is finished.
            return .finished(resultJSON: json)
        case .failure(let error):
            switch stopReason {
            case .cancelRequested?:
                return .canceled(JobError(type: "Canceled", message: "canceled while running"))
            case .softTimeLimit?:
                let soft = softLimit.map { " of \($0)" } ?? ""
                return retryOrFail(JobError(type: "TimeLimit", message: "soft time limit\(soft) reached; the job was cancelled"),
                                   job: job, handler: handler, now: now, unit: unit)
            case .leaseLost?:
                // Stopped, not failed by its own work: retried per its policy while attempts
                // remain, as a recovery of the run would put it back.
                return retryOrFail(JobError(type: "LeaseLost", message: "the job's lease could not be renewed, or was taken over, while it ran; it was stopped"),
                                   job: job, handler: handler, now: now, unit: unit)
            case nil:
                break
            }
            if let permanent = error as? PermanentFailure {
                return .failed(JobError(type: "PermanentFailure", message: permanent.message, permanent: true))
            }
            if let bad = error as? BadArguments {
                return .failed(JobError(type: "BadArguments", message: bad.description, permanent: true))
            }
            let type = String(describing: Swift.type(of: error))
            return retryOrFail(JobError(type: type, message: String(describing: error)), job: job, handler: handler, now: now, unit: unit)
        }
    }

    static func retryOrFail(_ error: JobError, job: FetchedJob, handler: AnyJobHandler, now: Int64, unit: Double) -> RunOutcome {
        guard let delay = retryDelay(job: job, handler: handler, unit: unit) else { return .failed(error) }
        return .retry(error, retryAt: now + delay.milliseconds)
    }

    /// How long after this run fails its retry waits, per the handler's policy else the job's;
    /// nil when its attempts are spent.
    static func retryDelay(job: FetchedJob, handler: AnyJobHandler, unit: Double) -> TimeSpan? {
        let maxAttempts = handler.retryPolicy?.maxAttempts ?? job.maxAttempts
        guard job.attempt < maxAttempts else { return nil }
        let backoff = handler.retryPolicy?.backoff ?? JobLimits.backoff(document: job.document)
        return backoff.delay(afterAttempt: job.attempt, unit: unit)
    }
}

@testable import DroverWorker
import DroverCore
import DroverQueue
import Testing

/// The outcome decision, fed values: no Redis, no processes.
@Suite struct VerdictTests {
    struct Boom: Error {}
    let handler = AnyJobHandler(BuiltinHandlers.Noop())

    func job(attempt: Int, maxAttempts: Int = 3) -> FetchedJob {
        FetchedJob(id: JobID("J1"), queue: "default", lease: 1, attempt: attempt,
                   document: #"{"name":"builtin.noop","args":{},"backoff":{"base":10,"factor":2,"cap":60,"jitter":0}}"#,
                   maxAttempts: maxAttempts)
    }

    func outcome(_ result: Result<String, any Error>, attempt: Int, reason: StopReason? = nil,
                 softLimit: EffectiveLimit? = nil) -> RunOutcome {
        Verdict.outcome(of: result, job: job(attempt: attempt), handler: handler, stopReason: reason,
                        softLimit: softLimit, now: 1_000_000, unit: 0.5)
    }

    @Test func successIsFinishedWithItsResult() {
        guard case .finished(let json) = outcome(.success("42"), attempt: 1) else { Issue.record("not finished"); return }
        #expect(json == "42")
    }

    @Test func anErrorIsRetriedWithTheJobsBackoff() {
        guard case .retry(let error, let at) = outcome(.failure(Boom()), attempt: 2) else { Issue.record("not retried"); return }
        #expect(error.type == "Boom")
        #expect(at == 1_000_000 + 20_000)  // base 10 s × 2^(2-1), no jitter
    }

    @Test func theLastAttemptFails() {
        guard case .failed(let error) = outcome(.failure(Boom()), attempt: 3) else { Issue.record("not failed"); return }
        #expect(error.type == "Boom")
    }

    @Test func permanentFailureIsNeverRetried() {
        guard case .failed(let error) = outcome(.failure(PermanentFailure("no")), attempt: 1) else { Issue.record("not failed"); return }
        #expect(error.type == "PermanentFailure" && error.permanent == true)
    }

    @Test func cancellationAfterACancelRequestIsCanceled() {
        guard case .canceled = outcome(.failure(CancellationError()), attempt: 1, reason: .cancelRequested) else {
            Issue.record("not canceled"); return
        }
    }

    @Test func cancellationAtTheSoftLimitIsATimeLimitError() {
        guard case .retry(let error, _) = outcome(.failure(CancellationError()), attempt: 1, reason: .softTimeLimit) else {
            Issue.record("not retried"); return
        }
        #expect(error.type == "TimeLimit")
    }

    /// Issue 15, item 13: the message named the job's own limit when the pool's applied.
    @Test func theSoftLimitMessageNamesWhereTheLimitCameFrom() {
        let pool = EffectiveLimit.first((nil, .job), (nil, .handler), (.seconds(30), .pool))
        #expect(pool == EffectiveLimit(duration: .seconds(30), source: .pool))
        guard case .retry(let error, _) = outcome(.failure(CancellationError()), attempt: 1, reason: .softTimeLimit, softLimit: pool) else {
            Issue.record("not retried"); return
        }
        #expect(error.message == "soft time limit of 30s (the pool's default) reached; the job was cancelled")
        let own = EffectiveLimit.first((.milliseconds(1500), .job), (.seconds(9), .handler), (.seconds(30), .pool))
        #expect(own?.description == "1s500ms (the job's own)")
    }

    @Test func aHandlersOwnPolicyWins() {
        struct Strict: JobHandler {
            static let name = "strict"
            var retryPolicy: RetryPolicy? { RetryPolicy(maxAttempts: 1) }
            func run(_ arguments: NoArguments, context: JobContext) async throws -> NoResult { NoResult() }
        }
        let outcome = Verdict.outcome(of: .failure(Boom()), job: job(attempt: 1), handler: AnyJobHandler(Strict()),
                                      stopReason: nil, softLimit: nil, now: 0, unit: 0.5)
        guard case .failed = outcome else { Issue.record("not failed"); return }
    }

    @Test func backoffGrowsCapsAndJitters() {
        let backoff = Backoff(base: .seconds(10), factor: 2, cap: .seconds(60), jitter: 0.25)
        #expect(backoff.delay(afterAttempt: 1, unit: 0.5) == .seconds(10))
        #expect(backoff.delay(afterAttempt: 3, unit: 0.5) == .seconds(40))
        #expect(backoff.delay(afterAttempt: 10, unit: 0.5) == .seconds(60))
        #expect(backoff.delay(afterAttempt: 1, unit: 0) == TimeSpan(milliseconds: 7500))
        #expect(backoff.delay(afterAttempt: 1, unit: 1) == TimeSpan(milliseconds: 12500))
    }
}

import Hummingbird

/// Stub; replaced by the Prometheus collector.
final class MetricsCollector: Sendable {
}

extension WebAPI {
    func metricsText() async throws -> Response {
        Response.text("", contentType: "text/plain; version=0.0.4")
    }
}

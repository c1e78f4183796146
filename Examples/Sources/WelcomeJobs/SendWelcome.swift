import Drover

struct SendWelcome: JobHandler {
    struct Arguments: Codable, Sendable { var userID: Int }
    static let name = "send_welcome"
    func run(_ arguments: Arguments, context: JobContext) async throws -> String {
        try await context.progress(50, note: "rendering")
        return "sent to \(arguments.userID)"
    }
}

import DroverCore
import Foundation

/// A handler with its types erased, so handlers of any argument type sit in one registry.
public struct AnyJobHandler: Sendable {
    /// The job name it serves.
    public let name: String
    /// Its retry policy override.
    public let retryPolicy: RetryPolicy?
    /// Time limits for its jobs when a job sets none (an exec command's `time_limit` and
    /// `soft_time_limit`); the pool's defaults apply after these.
    public var timeLimit: Duration?
    public var softTimeLimit: Duration?
    let invoke: @Sendable (_ document: String, _ context: JobContext) async throws -> String

    /// A handler made of a closure over the job's document (exec jobs).
    init(name: String, retryPolicy: RetryPolicy?, invoke: @escaping @Sendable (String, JobContext) async throws -> String) {
        self.name = name
        self.retryPolicy = retryPolicy
        self.invoke = invoke
    }

    /// Wraps a handler.
    public init<H: JobHandler>(_ handler: H) {
        name = H.name
        retryPolicy = handler.retryPolicy
        invoke = { document, context in
            let arguments: H.Arguments
            if let none = NoArguments() as? H.Arguments {
                // Nothing to decode: a JSON pass per job was a tenth of a no-op job's cost.
                arguments = none
            } else {
                arguments = try decodeArguments(H.self, document)
            }
            let output = try await handler.run(arguments, context: context)
            if output is NoResult { return "null" }
            return try JSONText.encode(output)
        }
    }
}

private func decodeArguments<H: JobHandler>(_ handler: H.Type, _ document: String) throws -> H.Arguments {
    do {
        // One decoding pass over the job's document picks out the arguments.
        return try JSONDecoder().decode(ArgumentsOnly<H.Arguments>.self, from: Data(document.utf8)).args
    } catch {
        throw BadArguments(job: H.name, reason: BadArguments.describe(error))
    }
}

private struct ArgumentsOnly<A: Decodable>: Decodable {
    var args: A
}

/// The job's arguments did not decode into its handler's `Arguments`: retrying cannot help.
struct BadArguments: Error, CustomStringConvertible {
    var job: String
    var reason: String
    var description: String { "arguments do not match \(job)'s Arguments: \(reason)" }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case DecodingError.dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The handlers a worker serves, by job name.
public struct HandlerRegistry: Sendable {
    private var handlers: [String: AnyJobHandler] = [:]

    /// Creates a registry.
    public init(_ handlers: [AnyJobHandler] = []) {
        for handler in handlers { register(handler) }
    }

    /// Adds (or replaces) a handler.
    public mutating func register(_ handler: AnyJobHandler) {
        handlers[handler.name] = handler
    }

    /// The handler for a job name.
    public subscript(name: String) -> AnyJobHandler? { handlers[name] }

    /// Every name served, sorted.
    public var names: [String] { handlers.keys.sorted() }
}

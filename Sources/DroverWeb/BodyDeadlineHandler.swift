import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not ended within `timeout` of its head.
///
/// Why by hand: Hummingbird's idle timeout (`HTTP1Channel.Configuration.idleTimeout`, which
/// `WebServer` sets to the header timeout) restarts at every body part NIO decodes, so a client
/// that sends one byte of body every few seconds would hold its connection, and a handler that
/// reads the body, for as long as it likes. This bounds the whole body instead. It sits after
/// NIO's HTTP decoder (`additionalChannelHandlers`), where a request is head, body parts, end.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension BodyDeadlineHandler: Sendable {}

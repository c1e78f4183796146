import Drover

/// The handlers this app's worker serves (the built-in ones come with `DroverApp`).
public let welcomeHandlers = [AnyJobHandler(SendWelcome())]

import DroverCore

/// Checks a request before anything is written: a bad request is refused whole.
enum EnqueueValidation {
    static func problem(_ request: EnqueueRequest) -> String? {
        if request.name.isEmpty || request.name.utf8.count > 200 { return "job name must be 1 to 200 bytes" }
        if let problem = request.options.problem { return problem }
        return JobArguments.problem(request.argsJSON)
    }
}

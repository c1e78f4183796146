import Foundation
internal import Yams

extension DroverConfig {
    static let keys = ["redis", "pools", "scheduler", "http", "periodic", "exec", "shutdown", "defaults"]

    /// Parses and validates a config file's text, collecting every problem.
    ///
    /// An empty document gives `defaultConfig(cores:)`; so does a file without `pools:`, for its
    /// pools. Unknown keys are errors, so a typo never silently falls back to a default.
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - file: the file's path, for messages.
    ///   - cores: one child per core for the default pool and pools without `concurrency`.
    /// - Throws: `ConfigError` listing every problem, each with its key path and line.
    public static func parse(
        yaml: String, file: String? = nil, cores: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(ConfigError) -> DroverConfig {
        var config = defaultConfig(cores: cores)
        config.file = file
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(file: file, problems: [syntaxProblem(error)])
        }
        guard let root, !ConfigReader.isNull(root) else { return config }

        var reader = ConfigReader(cores: cores)
        if let fields = reader.fields(root, path: "", allowed: keys) {
            config.read(fields, reader: &reader)
        }
        if !reader.problems.isEmpty {
            // File order, so the list reads top to bottom like the file.
            let sorted = reader.problems.enumerated().sorted { a, b in
                let left = (a.element.line ?? .max, a.element.column ?? .max, a.offset)
                let right = (b.element.line ?? .max, b.element.column ?? .max, b.offset)
                return left < right
            }
            throw ConfigError(file: file, problems: sorted.map(\.element))
        }
        return config
    }

    /// Reads and parses the file at `path`.
    /// - Parameters:
    ///   - path: the file.
    ///   - cores: as in `parse(yaml:file:cores:)`.
    /// - Throws: `ConfigError` when the file cannot be read or is not valid.
    public static func load(
        path: String, cores: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws(ConfigError) -> DroverConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
            throw ConfigError(file: path, problems: [.init(code: .unreadable, path: "", message: "cannot read the file: \(reason)")])
        }
        return try parse(yaml: text, file: path, cores: cores)
    }

    private mutating func read(_ fields: ConfigFields, reader: inout ConfigReader) {
        if let node = fields["redis"] { redis = RedisConfig.read(node, path: "redis", reader: &reader) }
        if let node = fields["pools"] { pools = Self.readPools(node, reader: &reader) }
        if let node = fields["scheduler"] { scheduler = SchedulerConfig.read(node, path: "scheduler", reader: &reader) }
        if let node = fields["http"] { http = HTTPConfig.read(node, path: "http", reader: &reader) }
        if let node = fields["periodic"] { periodic = Self.readPeriodic(node, reader: &reader) }
        if let node = fields["exec"] { exec = ExecCommand.readAll(node, path: "exec", reader: &reader) }
        if let node = fields["shutdown"] { shutdown = ShutdownConfig.read(node, path: "shutdown", reader: &reader) }
        if let node = fields["defaults"] { jobDefaults = JobDefaultsConfig.read(node, path: "defaults", reader: &reader) }
    }

    private static func readPools(_ node: Node, reader: inout ConfigReader) -> [PoolConfig] {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            reader.report(.invalidValue, "pools", "must be a list of at least one pool ({ name, queues, concurrency })", at: node)
            return [.defaultPool(cores: reader.cores)]
        }
        var pools: [PoolConfig] = []
        for (index, item) in sequence.enumerated() {
            let pool = PoolConfig.read(item, path: "pools[\(index)]", reader: &reader)
            if let first = pools.firstIndex(where: { $0.name == pool.name }), item.mapping?["name"] != nil {
                reader.report(.duplicate, "pools[\(index)].name", "\"\(pool.name)\" is already the name of pools[\(first)]", at: item.mapping?["name"])
            }
            pools.append(pool)
        }
        return pools
    }

    private static func readPeriodic(_ node: Node, reader: inout ConfigReader) -> [PeriodicEntry] {
        guard let sequence = node.sequence else {
            reader.report(.invalidValue, "periodic", "must be a list of { name, cron, job } entries", at: node)
            return []
        }
        var entries: [PeriodicEntry] = []
        for (index, item) in sequence.enumerated() {
            guard let entry = PeriodicEntry.read(item, path: "periodic[\(index)]", reader: &reader) else { continue }
            if entries.contains(where: { $0.name == entry.name }) {
                // The name is each tick's idempotency key: two entries sharing it would
                // suppress each other's ticks.
                reader.report(.duplicate, "periodic[\(index)].name", "\"\(entry.name)\" is used by another entry", at: item.mapping?["name"])
            }
            entries.append(entry)
        }
        return entries
    }

    private static func syntaxProblem(_ error: any Error) -> ConfigError.Problem {
        func problem(_ text: String, _ context: YamlError.Context?, _ mark: Mark) -> ConfigError.Problem {
            var message = "not valid YAML: \(text)"
            if let context { message += " (\(context.text) from line \(context.mark.line))" }
            return .init(code: .syntax, path: "", message: message, line: mark.line, column: mark.column)
        }
        switch error as? YamlError {
        case let .scanner(context, text, mark, _), let .parser(context, text, mark, _), let .composer(context, text, mark, _):
            return problem(text, context, mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return .init(
                code: .duplicate, path: "", message: "key \(names) appears twice in one mapping",
                line: context.mark.line, column: context.mark.column
            )
        case let .reader(text, _, _, _):
            return .init(code: .syntax, path: "", message: "not readable as YAML: \(text)")
        default:
            return .init(code: .syntax, path: "", message: "not valid YAML: \(error)")
        }
    }
}

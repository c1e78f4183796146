#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where a password comes from when the URL does not carry one, so it never has to be on a
/// command line (`ps` shows argv to every user) or in a unit file.
///
/// Order: the URL's own password, then the `REDIS_PASSWORD` environment variable, then the
/// password file (`redis.password_file` in the config, or `REDIS_PASSWORD_FILE`).
public enum RedisPassword {
    /// Fills in `url.password` from the environment or a file when the URL has none.
    /// - Parameters:
    ///   - url: the parsed URL.
    ///   - environment: the process environment (passed in so tests need not change it).
    ///   - passwordFile: a file whose first line is the password.
    /// - Throws: `RedisError(.passwordFile)` when the file is named but cannot be read;
    ///   `RedisError(.invalidURL)` when the URL names a user and no password comes from anywhere
    ///   (`AUTH` needs one; `redis://secret@host` would otherwise be sent as a user name).
    public static func resolve(
        _ url: RedisURL, environment: [String: String], passwordFile: String? = nil
    ) throws(RedisError) -> RedisURL {
        guard url.password == nil else { return url }
        var url = url
        if let fromEnv = environment["REDIS_PASSWORD"] ?? takenFromEnvironment, !fromEnv.isEmpty {
            url.password = fromEnv
        } else if let path = passwordFile ?? environment["REDIS_PASSWORD_FILE"], !path.isEmpty {
            url.password = try readFirstLine(path)
        }
        if url.username != nil, url.password == nil {
            // The name is not repeated: a URL written before user names were read this way
            // (`redis://SECRET@host`) holds a password there.
            throw RedisError(.invalidURL, "the Redis URL names a user (redis://USER@…) but no password was given: "
                + "set REDIS_PASSWORD, REDIS_PASSWORD_FILE or redis.password_file, or write redis://USER:PASSWORD@…; "
                + "a password alone is written redis://:PASSWORD@…")
        }
        return url
    }

    /// The variables that hold a Redis password: Drover's, and redis-cli's (`REDISCLI_AUTH`,
    /// redis-cli(1)), which an admin may have set for the service's user.
    public static let environmentVariables = ["REDIS_PASSWORD", "REDISCLI_AUTH"]

    private static let taken = Mutex<String?>(nil)

    /// The `REDIS_PASSWORD` this process started with, once ``takeFromEnvironment()`` took it.
    public static var takenFromEnvironment: String? { taken.withLock { $0 } }

    /// Moves the password out of this process's environment into memory, at start, before any
    /// thread runs (setenv(3) and unsetenv(3) are not thread-safe): afterwards no exec program
    /// finds it in the environment it inherits, nor in `/proc/PID/environ` of its worker, nor
    /// is it in a core dump's environment.
    ///
    /// `unsetenv` alone is not enough: it only drops the entry from `environ`, while the bytes
    /// stay in the block the kernel copied at execve, which is what `/proc/PID/environ` shows
    /// (proc(5)) and what a forked child inherits. So the value's bytes are zeroed where they
    /// are, first.
    public static func takeFromEnvironment() {
        for name in environmentVariables {
            let prefix = Array((name + "=").utf8CString.dropLast())
            var entry = environ
            while let text = entry.pointee {
                if strncmp(text, prefix, prefix.count) == 0 {
                    let value = text + prefix.count
                    if name == "REDIS_PASSWORD" {
                        let password = String(cString: value)
                        taken.withLock { if $0 == nil { $0 = password } }
                    }
                    memset(value, 0, strlen(value))
                }
                entry += 1
            }
            unsetenv(name)
        }
    }

    static func readFirstLine(_ path: String) throws(RedisError) -> String {
        guard let file = fopen(path, "r") else {
            let reason = String(cString: strerror(errno))
            throw RedisError(.passwordFile, "cannot read \(path): \(reason)")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        while true {
            let c = fgetc(file)
            if c == EOF || c == 10 || c == 13 { break }
            bytes.append(UInt8(truncatingIfNeeded: c))
            if bytes.count > 4096 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

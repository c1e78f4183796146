#if canImport(Glibc)
import Glibc
#endif

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
        if let fromEnv = environment["REDIS_PASSWORD"], !fromEnv.isEmpty {
            url.password = fromEnv
        } else if let path = passwordFile ?? environment["REDIS_PASSWORD_FILE"], !path.isEmpty {
            url.password = try readFirstLine(path)
        }
        if let user = url.username, url.password == nil {
            throw RedisError(.invalidURL, "the Redis URL names the user \"\(user)\" but no password was given: "
                + "set REDIS_PASSWORD, REDIS_PASSWORD_FILE or redis.password_file, or write redis://\(user):PASSWORD@…; "
                + "a password alone is written redis://:PASSWORD@…")
        }
        return url
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

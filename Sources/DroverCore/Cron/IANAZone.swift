import Foundation

/// Time zones by IANA name only (`Europe/Berlin`, `UTC`, `Etc/GMT-5`), as a periodic entry's
/// `timezone` takes them.
///
/// Foundation also accepts abbreviations and offsets (`PST`, `UTC+1`, `GMT+5`). Those are not
/// IANA zones: an abbreviation names no daylight-saving rules, and `GMT+5` reads as UTC+5 while
/// IANA's `Etc/GMT+5` is UTC-5 (POSIX's inverted sign, tzfile(5)), so one of the two is always
/// misread. A name is accepted when the system's tz database (`TZDIR`, else
/// `/usr/share/zoneinfo`) has a zone file by that name, outside its `posix/` and `right/` copies.
public enum IANAZone {
    /// The zone named `identifier`.
    /// - Parameters:
    ///   - identifier: an IANA zone name.
    ///   - environment: for `TZDIR` (passed in so tests can point elsewhere).
    /// - Returns: the zone, or why it is refused with a hint.
    public static func zone(_ identifier: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Result<TimeZone, Refusal> {
        let directory = environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
        guard isWellFormed(identifier), inDatabase(identifier, directory: directory),
              let zone = TimeZone(identifier: identifier) else {
            return .failure(Refusal(identifier: identifier))
        }
        return .success(zone)
    }

    /// A name that is not an IANA zone, with a hint that fits what was written.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The refused name.
        public var identifier: String

        /// `unknown time zone "X"; …`.
        public var description: String {
            let upper = identifier.uppercased()
            let hint: String
            if upper.hasPrefix("UTC+") || upper.hasPrefix("UTC-") || upper.hasPrefix("GMT+") || upper.hasPrefix("GMT-") {
                hint = "offsets are not IANA names: use a region such as Europe/Berlin, or Etc/GMT-N for a fixed UTC+N "
                    + "(IANA's Etc/GMT signs are inverted: Etc/GMT-5 is five hours ahead of UTC)"
            } else if identifier.count <= 5, identifier.allSatisfy({ $0.isLetter && $0.isUppercase }) {
                hint = "abbreviations are not IANA names and carry no daylight-saving rules: use a region such as "
                    + "America/Los_Angeles or Europe/London, or UTC"
            } else {
                hint = "use an IANA name such as Europe/Berlin or UTC (see /usr/share/zoneinfo)"
            }
            return "unknown time zone \"\(identifier)\"; \(hint)"
        }
    }

    /// Letters, digits, `_ + -` in `/`-separated parts, none of them `.` or `..`: a name that
    /// cannot leave the database directory.
    static func isWellFormed(_ identifier: String) -> Bool {
        guard !identifier.isEmpty, identifier.utf8.count <= 64 else { return false }
        let parts = identifier.split(separator: "/", omittingEmptySubsequences: false)
        return parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2B || byte == 0x2D
            }
        }
    }

    private static func inDatabase(_ identifier: String, directory: String) -> Bool {
        if identifier.hasPrefix("posix/") || identifier.hasPrefix("right/") { return false }
        if ["localtime", "posixrules", "Factory"].contains(identifier) { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory + "/" + identifier, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

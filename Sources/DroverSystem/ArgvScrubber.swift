import Glibc

/// Blanks passwords out of this process's own argv, so that `ps` and `/proc/PID/cmdline` stop
/// showing a password typed into `--url redis://:secret@host` (the MySQL client does the same).
/// It shortens the window rather than closing it; the environment or a password file is the
/// safe way, and the README says so.
public enum ArgvScrubber {
    /// Replaces the password part of every `scheme://user:password@` argument with `*`.
    public static func hidePasswords() {
        let argc = Int(CommandLine.argc)
        let argv = CommandLine.unsafeArgv
        for index in 1..<max(argc, 1) {
            guard let arg = argv[index] else { continue }
            let length = strlen(arg)
            let text = String(cString: arg)
            guard let schemeEnd = text.range(of: "://"),
                  let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { continue }
            let credentials = text[schemeEnd.upperBound..<at]
            let passwordStart = credentials.firstIndex(of: ":").map { text.index(after: $0) } ?? schemeEnd.upperBound
            let from = text.utf8.distance(from: text.startIndex, to: passwordStart)
            let to = text.utf8.distance(from: text.startIndex, to: at)
            for offset in from..<min(to, Int(length)) { arg[offset] = CChar(UInt8(ascii: "*")) }
        }
    }
}

extension String {
    fileprivate func range(of needle: String) -> Range<String.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}

/// Checks `Authorization: Bearer <token>` against the configured token.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    /// Whether the header carries the token. The comparison takes the same time whatever the
    /// first differing byte is (it always walks the whole expected token and folds a length
    /// mismatch into the result), so timing does not reveal a prefix of the token.
    func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return false }
        let given = Array(header.utf8.dropFirst(scheme.utf8.count))
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices {
            let byte = index < given.count ? given[index] : 0
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }
}

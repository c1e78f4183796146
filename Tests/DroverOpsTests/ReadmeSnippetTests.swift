import Foundation
import Testing

/// Issue 15, item 12: the README's Swift producer example did not compile in an app that
/// imports Drover. Every Swift snippet of the README is now a piece of the `Examples/` package,
/// which Scripts/test builds and tests as an outside package; this test keeps the two the same.
@Suite struct ReadmeSnippetTests {
    @Test func everySwiftSnippetOfTheReadmeIsTakenFromTheExamplesPackage() throws {
        let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
        let snippets = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(!snippets.isEmpty)
        var sources = ""
        let root = Repository.path("Examples/Sources")
        let files = try #require(FileManager.default.enumerator(atPath: root))
        for case let file as String in files where file.hasSuffix(".swift") {
            sources += try String(contentsOfFile: root + "/" + file, encoding: .utf8) + "\n"
        }
        for snippet in snippets {
            #expect(sources.contains(snippet), "this README snippet is in no file under Examples/Sources:\n\(snippet)")
        }
    }
}

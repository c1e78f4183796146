import DroverSystem
import Testing

@Suite struct SystemErrorTests {
    @Test func descriptionNamesTheCallAndTheCLibrarysText() {
        let error = SystemError(code: .noSuchProcess, syscall: "kill")
        #expect(error.description == "kill failed: No such process (errno 3)")
        #expect(error.errno == 3)
    }

    @Test func unknownCodesStillDescribeThemselves() {
        #expect(SystemError.Code(rawValue: 9999).description == "Unknown error 9999")
    }

    @Test func errorsWithTheSameCodeAndCallAreEqual() {
        #expect(SystemError(code: .busy, syscall: "sigaction") == SystemError(code: .busy, syscall: "sigaction"))
        #expect(SystemError(code: .busy, syscall: "sigaction") != SystemError(code: .busy, syscall: "kill"))
        #expect(SystemError(code: .busy, syscall: "kill") != SystemError(code: .noSuchProcess, syscall: "kill"))
    }
}

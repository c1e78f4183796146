import Testing
@testable import DroverCore

@Suite struct CronParsingTests {
    @Test func parsesListsRangesStepsAndNames() throws {
        let cron = try CronSchedule(parsing: "0,30 9-17/2 */10 jan,JUL-sep mon-fri")
        #expect(cron.minutes.values == [0, 30])
        #expect(cron.hours.values == [9, 11, 13, 15, 17])
        #expect(cron.daysOfMonth.values == [1, 11, 21, 31])
        #expect(cron.months.values == [1, 7, 8, 9])
        #expect(cron.daysOfWeek.values == [1, 2, 3, 4, 5])
        #expect(cron.seconds.values == [0])
        #expect(!cron.hasSecondsField)
    }

    @Test func sevenIsSundayAndAStartWithAStepRunsToTheEnd() throws {
        let cron = try CronSchedule(parsing: "10/20 * * * 5-7")
        #expect(cron.minutes.values == [10, 30, 50])
        #expect(cron.daysOfWeek.values == [0, 5, 6])
    }

    @Test func sixFieldsHaveALeadingSecondsField() throws {
        let cron = try CronSchedule(parsing: "*/15 0 12 * * *")
        #expect(cron.hasSecondsField)
        #expect(cron.seconds.values == [0, 15, 30, 45])
        #expect(cron.minutes.values == [0])
        #expect(cron.hours.values == [12])
    }

    @Test(arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@HOURLY", "0 * * * *"),
    ])
    func shorthandsMeanTheirExpansion(shorthand: String, expansion: String) throws {
        #expect(try CronSchedule(parsing: shorthand) == CronSchedule(parsing: expansion))
    }

    @Test func starMarksADayFieldUnrestrictedEvenWithAStep() throws {
        #expect(try !CronSchedule(parsing: "0 0 */2 * *").daysOfMonth.isRestricted)
        #expect(try CronSchedule(parsing: "0 0 1-31 * *").daysOfMonth.isRestricted)
    }

    @Test(arguments: [
        ("61 * * * *", "minute", "61", "out of range 0-59"),
        ("* 24 * * *", "hour", "24", "out of range 0-23"),
        ("* * 0 * *", "day-of-month", "0", "out of range 1-31"),
        ("* * * 13 *", "month", "13", "out of range 1-12"),
        ("* * * foo *", "month", "foo", "or a name (jan"),
        ("* * * * mun", "day-of-week", "mun", "or a name (sun"),
        ("* * * * 8", "day-of-week", "8", "out of range 0-7"),
        ("*/0 * * * *", "minute", "*/0", "step"),
        ("5-1 * * * *", "minute", "5-1", "backwards"),
        ("1,,2 * * * *", "minute", "1,,2", "empty list item"),
        ("1/2/3 * * * *", "minute", "1/2/3", "more than one step"),
        ("x * * * * *", "second", "x", "not a number"),
        ("+5 * * * *", "minute", "+5", "not a number"),
    ])
    func errorsNameTheFieldAndTheToken(expression: String, field: String, token: String, reason: String) {
        #expect {
            try CronSchedule(parsing: expression)
        } throws: { error in
            let error = error as! CronSchedule.ParseError
            return error.field == field && error.token == token && error.reason.contains(reason)
                && error.description.hasPrefix("\(field) field: \"\(token)\"")
        }
    }

    @Test(arguments: ["* * * *", "* * * * * * *", "", "@reboot", "@often"])
    func rejectsWrongFieldCountsAndUnknownShorthands(expression: String) {
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule(parsing: expression) }
    }

    @Test(arguments: ["0 0 30 2 *", "0 0 31 4,6,9,11 *"])
    func rejectsSchedulesThatNeverFire(expression: String) {
        #expect {
            try CronSchedule(parsing: expression)
        } throws: { error in
            (error as! CronSchedule.ParseError).reason.contains("never fires")
        }
    }

    @Test func aRestrictedWeekdayRescuesAnImpossibleDay() throws {
        // The OR rule makes this "every Monday in February".
        _ = try CronSchedule(parsing: "0 0 30 2 mon")
    }
}

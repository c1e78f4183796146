import Testing

/// Keeps the target non-empty until its first real test lands.
@Test func droverSchedulerTestsBuild() {}

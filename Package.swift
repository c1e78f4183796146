// swift-tools-version:6.0
// Drover: a Redis-backed background job system for Linux with a production process supervisor.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Drover",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "drover", targets: ["drover"]),
        .library(name: "Drover", targets: ["Drover"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Hummingbird's own dependencies, named because DroverWeb imports them directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: - C libraries and shims
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "CDroverShims"),

        // MARK: - Drover modules
        .target(name: "DroverSystem", dependencies: ["CDroverShims"], swiftSettings: strict),
        .target(name: "DroverRedis", dependencies: ["CHiredis"], swiftSettings: strict),
        .target(name: "DroverCore", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(name: "DroverQueue", dependencies: ["DroverCore", "DroverRedis"], swiftSettings: strict),
        .target(
            name: "DroverWorker",
            dependencies: [
                "DroverCore", "DroverRedis", "DroverQueue", "DroverSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DroverSupervisor",
            dependencies: [
                "DroverCore", "DroverRedis", "DroverQueue", "DroverSystem", "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DroverScheduler",
            dependencies: [
                "DroverCore", "DroverRedis", "DroverQueue", "DroverSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "DroverWeb",
            dependencies: [
                "DroverCore", "DroverRedis", "DroverQueue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Drover",
            dependencies: [
                "DroverCore", "DroverRedis", "DroverQueue", "DroverSystem", "DroverWorker", "DroverSupervisor",
                "DroverScheduler", "DroverWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "drover", dependencies: ["Drover"], swiftSettings: strict),

        // MARK: - Tests
        .target(
            name: "DroverTestSupport",
            dependencies: ["DroverRedis", "DroverSystem"],
            path: "Tests/DroverTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "DroverCoreTests", dependencies: ["DroverCore"], swiftSettings: strict),
        .testTarget(name: "DroverSystemTests", dependencies: ["DroverSystem"], swiftSettings: strict),
        .testTarget(name: "DroverRedisTests", dependencies: ["CHiredis", "DroverRedis", "DroverTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "DroverQueueTests",
            dependencies: ["DroverQueue", "DroverCore", "DroverRedis", "DroverTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverWorkerTests",
            dependencies: ["DroverWorker", "DroverQueue", "DroverCore", "DroverTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverSupervisorTests",
            dependencies: ["DroverSupervisor", "DroverSystem", "DroverQueue", "DroverCore", "DroverTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverSchedulerTests",
            dependencies: ["DroverScheduler", "DroverQueue", "DroverCore", "DroverTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverWebTests",
            dependencies: ["DroverWeb", "DroverQueue", "DroverCore", "DroverRedis", "DroverSystem", "DroverTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverOpsTests",
            dependencies: ["Drover", "DroverQueue", "DroverCore", "DroverTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DroverCLITests",
            dependencies: ["Drover", "DroverTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

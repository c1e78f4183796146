// swift-tools-version:6.0
// Drover used as an outside app uses it: every Swift snippet of the README is taken from this
// package, which Scripts/test builds and tests against a real redis-server.
import PackageDescription

let package = Package(
    name: "DroverExamples",
    platforms: [.macOS(.v14)],
    dependencies: [
        // An app writes `.package(url: "https://github.com/…/drover", from: "…")`; here the
        // checkout it lives in.
        .package(name: "Drover", path: ".."),
    ],
    targets: [
        .target(name: "WelcomeJobs", dependencies: [.product(name: "Drover", package: "Drover")]),
        .executableTarget(name: "welcome-worker", dependencies: ["WelcomeJobs", .product(name: "Drover", package: "Drover")]),
        .testTarget(name: "WelcomeJobsTests", dependencies: ["WelcomeJobs", .product(name: "Drover", package: "Drover")]),
    ],
    swiftLanguageModes: [.v6]
)

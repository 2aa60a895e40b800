// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "hh-auth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hh-auth", targets: ["hh-auth"]),
        .executable(name: "hh-standin", targets: ["hh-standin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI"]
        ),
        .target(
            name: "HHAuth",
            dependencies: [
                "FastCGI",
                "CCrypt",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the few reads GRDB's per-read bookkeeping would dominate.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "HHStandIn",
            dependencies: [
                "FastCGI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hh-auth",
            dependencies: [
                "HHAuth",
                "CMalloc",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "FastCGI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hh-standin",
            dependencies: [
                "HHStandIn",
                "FastCGI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI"]
        ),
        .testTarget(
            name: "HHAuthTests",
            dependencies: ["HHAuth", "FastCGI"]
        ),
        .testTarget(
            name: "HHStandInTests",
            dependencies: ["HHStandIn", "FastCGI"]
        ),
        // Speaks HTTP to nginx and runs the built binaries (`swift build` first; the Makefile does).
        .testTarget(name: "EndToEndTests"),
    ],
    swiftLanguageModes: [.v6]
)

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
        // libpq, PostgreSQL's C client; its headers are found without pkg-config (shim.h).
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        // Layers (README, "Layers"): each target imports only what is listed for it.
        // Lock, and BlockingCall with its per-thread slow-wait observer; no dependencies.
        .target(name: "WorkerThreads"),
        // The FastCGI server on libfcgi; knows nothing of HTTP beyond CGI parameters.
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI", "WorkerThreads"]
        ),
        // A thin synchronous PostgreSQL client on libpq for worker threads: connections, parameters,
        // prepared statements, transactions, typed results and errors. No ORM, no Foundation.
        .target(
            name: "PostgreSQL",
            dependencies: ["CLibPQ", "WorkerThreads"]
        ),
        // Requests, responses, errors, routing, query and JSON text; Foundation only.
        .target(name: "HTTPCore"),
        // FastCGIRequest → HTTPRequest and HTTPResponse → FastCGIResponse, for any HTTPResponder.
        .target(
            name: "FastCGIHTTP",
            dependencies: ["FastCGI", "HTTPCore"]
        ),
        .target(
            name: "HHAuth",
            dependencies: [
                "HTTPCore",
                "WorkerThreads",
                "CCrypt",
                // The PostgreSQL engine (Storage/PostgreSQL) beside the SQLite one.
                "PostgreSQL",
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
                "HTTPCore",
                "WorkerThreads",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hh-auth",
            dependencies: [
                "HHAuth",
                "HTTPCore",
                "FastCGI",
                "FastCGIHTTP",
                "WorkerThreads",
                "CMalloc",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hh-standin",
            dependencies: [
                "HHStandIn",
                "FastCGI",
                "FastCGIHTTP",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The contract's rules as test bodies against a small client protocol, run by HHAuthTests
        // in process and by EndToEndTests through nginx; Foundation and Testing only.
        .target(name: "ContractScenarios", path: "Tests/ContractScenarios"),
        // A throwaway PostgreSQL cluster per test process (scripts/pg-cluster.sh), for every test
        // target that needs one; Foundation, Testing and PostgreSQL only.
        .target(name: "PostgreSQLTestSupport", dependencies: ["PostgreSQL"], path: "Tests/PostgreSQLTestSupport"),
        .testTarget(
            name: "WorkerThreadsTests",
            dependencies: ["WorkerThreads"]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", "WorkerThreads"]
        ),
        // Against a throwaway cluster of their own (scripts/pg-cluster.sh; Debian's postgresql).
        .testTarget(
            name: "PostgreSQLTests",
            dependencies: ["PostgreSQL", "PostgreSQLTestSupport"]
        ),
        .testTarget(
            name: "HTTPCoreTests",
            dependencies: ["HTTPCore"]
        ),
        .testTarget(
            name: "FastCGIHTTPTests",
            dependencies: ["FastCGIHTTP", "FastCGI", "HTTPCore"]
        ),
        // Through FastCGIHTTP's adapter, as `hh-auth serve` runs the application.
        .testTarget(
            name: "HHAuthTests",
            dependencies: [
                "HHAuth", "HTTPCore", "WorkerThreads", "FastCGIHTTP", "FastCGI", "ContractScenarios", "PostgreSQL",
                "PostgreSQLTestSupport",
            ]
        ),
        .testTarget(
            name: "HHStandInTests",
            dependencies: ["HHStandIn", "HTTPCore"]
        ),
        // The executables' own settings (where FastCGI listens, whom it lets in), and doctor's
        // checks, on PostgreSQL against the test process's throwaway cluster.
        .testTarget(
            name: "HHAuthCommandTests",
            dependencies: ["hh-auth", "HHAuth", "FastCGI", "PostgreSQLTestSupport"]
        ),
        .testTarget(
            name: "HHStandInCommandTests",
            dependencies: ["hh-standin", "HHStandIn", "FastCGI"]
        ),
        // Speaks HTTP to nginx and runs the built binaries (`swift build` first; the Makefile does).
        .testTarget(name: "EndToEndTests", dependencies: ["ContractScenarios", "PostgreSQLTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

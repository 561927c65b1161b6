// swift-tools-version:5.9
// The bcpay Swift package: `Bcpay` (Client, URLSession transport) over `BcpayFFI`, the Swift
// bindings uniffi generates from the Rust library `bcpay_uniffi`.
//
// The Rust library is linked one of two ways:
// - `BcpayFFIC.xcframework` next to this file (built by scripts/build-xcframework.sh on macOS)
//   for Apple platforms;
// - otherwise `libbcpay_uniffi` from BCPAY_RUST_LIB_DIR, by default `../target/release`
//   (`cargo build --release -p bcpay-uniffi`), for `swift test` on macOS or Linux straight from
//   the repository (scripts/test.sh uses the debug build in `../target/debug`).
import Foundation
import PackageDescription

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let hasXCFramework = FileManager.default.fileExists(atPath: here.appendingPathComponent("BcpayFFIC.xcframework").path)
let rustTarget = ProcessInfo.processInfo.environment["BCPAY_RUST_LIB_DIR"]
    ?? here.appendingPathComponent("../target/release").standardizedFileURL.path

let ffiC: Target = hasXCFramework
    ? .binaryTarget(name: "BcpayFFIC", path: "BcpayFFIC.xcframework")
    : .systemLibrary(name: "BcpayFFIC", path: "Sources/BcpayFFIC")

let package = Package(
    name: "Bcpay",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Bcpay", targets: ["Bcpay"]),
    ],
    targets: [
        ffiC,
        .target(
            name: "BcpayFFI",
            dependencies: ["BcpayFFIC"],
            path: "Sources/BcpayFFI",
            linkerSettings: hasXCFramework ? [] : [.unsafeFlags(["-L", rustTarget])]
        ),
        .target(name: "Bcpay", dependencies: ["BcpayFFI"], path: "Sources/Bcpay"),
        .testTarget(
            name: "BcpayTests",
            dependencies: ["Bcpay"],
            path: "Tests/BcpayTests",
            linkerSettings: hasXCFramework ? [] : [.unsafeFlags(["-L", rustTarget])]
        ),
    ]
)

//! Load benchmark over loopback: the real server against a minimal reference server
//! measured in the same run (docs/performance.md). The code is in `originchats_tests::bench`.

fn main() {
    std::process::exit(originchats_tests::bench::main());
}

//! The server under test: identical to the `originchats` binary.

fn main() -> std::process::ExitCode {
    bootstrap::cli::main()
}

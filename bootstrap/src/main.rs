//! The `originchats` binary.

fn main() -> std::process::ExitCode {
    bootstrap::cli::main()
}

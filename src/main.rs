//! The `shanshui` command: parses arguments, runs, maps the outcome to an
//! exit code.

fn main() -> std::process::ExitCode {
    shanshui::cli::main()
}

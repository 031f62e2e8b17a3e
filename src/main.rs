//! `certtrace`: wires the command line to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = certtrace::cli::Cli::parse();
    let code = certtrace::commands::run(cli);
    ExitCode::from(code.clamp(0, 255) as u8)
}

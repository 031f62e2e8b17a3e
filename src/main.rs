//! `certtrace`: wires the command line to the library.

use std::process::ExitCode;

use clap::Parser;

#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = certtrace::cli::Cli::parse();
    certtrace::commands::run(cli).into()
}

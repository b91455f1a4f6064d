//! Command line: `originchats [--config PATH]` runs the server; `setup` writes a config;
//! `import --from FOLDER [--merge] [--only push]` imports an original server's data.

use std::path::PathBuf;
use std::process::ExitCode;

use application::import::ImportScope;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::setup::SetupAnswers;

/// OriginChats server.
#[derive(Debug, Parser)]
#[command(name = "originchats", version, about = "OriginChats server (Rust)")]
pub struct Cli {
    /// Path of config.json (default: ./config.json, written with defaults if absent).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do (default: run the server).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Run,
    /// Create config.json interactively, or from flags when stdin is not a terminal.
    Setup(Box<SetupAnswers>),
    /// Import an original (Python) server's data into the configured store (docs/import.md).
    Import {
        /// The original server's folder (the one holding `db/`), or its `db/` folder.
        #[arg(long, value_name = "FOLDER")]
        from: PathBuf,
        /// Add to a database that already holds data; existing records are kept as they are.
        #[arg(long)]
        merge: bool,
        /// Import only this part, added to whatever the database holds (`push`: the push
        /// subscriptions and VAPID keys, e.g. into a server imported earlier).
        #[arg(long, value_enum, value_name = "PART")]
        only: Option<Only>,
    },
    /// Operator changes by username (through the running server when there is one).
    #[command(subcommand)]
    User(crate::user_cli::UserCommand),
}

/// A part of an original server `import --only` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// Push subscriptions (`db/push_subscriptions.json`) and VAPID keys (`vapid/`).
    Push,
}

impl Only {
    fn scope(only: Option<Self>) -> ImportScope {
        match only {
            None => ImportScope::Everything,
            Some(Self::Push) => ImportScope::Push,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::Run => crate::run::run(cli.config),
        Command::Setup(answers) => {
            let path = cli.config.unwrap_or_else(|| PathBuf::from("config.json"));
            crate::config::setup::run(&path, &answers).map(|p| println!("Wrote {}", p.display()))
        }
        Command::Import { from, merge, only } => crate::import::run(cli.config, &from, merge, Only::scope(only)),
        Command::User(command) => crate::user_cli::run(cli.config, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("originchats: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! Auth validators: the real Rotur HTTP check and a mock for development and tests.

mod mock;
mod rotur;

pub use mock::MockAuth;
pub use rotur::RoturAuth;

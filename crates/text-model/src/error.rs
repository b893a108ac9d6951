use std::fmt;

/// An error raised while fitting or using a text model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The training data cannot produce a model (empty, one class, no usable terms).
    #[error("invalid training data: {0}")]
    InvalidData(String),
    /// A configuration value is out of its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Model parts given to [`crate::FraudModel::from_parts`] do not fit together.
    #[error("inconsistent model parts: {0}")]
    InconsistentParts(String),
    /// The optimiser failed.
    #[error("optimiser failed: {0}")]
    Solver(String),
    /// An error reported through linfa's traits.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// Helper so call sites can write `Error::invalid_data(format_args!(..))`.
impl Error {
    pub(crate) fn invalid_data(msg: impl fmt::Display) -> Self {
        Error::InvalidData(msg.to_string())
    }
    pub(crate) fn invalid_config(msg: impl fmt::Display) -> Self {
        Error::InvalidConfig(msg.to_string())
    }
}

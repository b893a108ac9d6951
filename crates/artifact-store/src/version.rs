use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A model version: `v0001`, `v0002`, ... Allocated by the registry, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelVersion(u32);

impl ModelVersion {
    /// The version with this number (1-based).
    pub fn new(number: u32) -> ModelVersion {
        ModelVersion(number)
    }

    /// The version number.
    pub fn number(self) -> u32 {
        self.0
    }

    /// The version after this one.
    pub fn next(self) -> ModelVersion {
        ModelVersion(self.0 + 1)
    }
}

impl fmt::Display for ModelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{:04}", self.0)
    }
}

impl FromStr for ModelVersion {
    type Err = Error;

    /// Accepts `v0003`, `v3` and `3`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('v').unwrap_or(s);
        match digits.parse::<u32>() {
            Ok(n) if n > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(ModelVersion(n))
            }
            _ => Err(Error::InvalidReference(s.to_string())),
        }
    }
}

impl serde::Serialize for ModelVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ModelVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(ModelVersion::new(3).to_string(), "v0003");
        assert_eq!(ModelVersion::new(12345).to_string(), "v12345");
        for s in ["v0003", "v3", "3"] {
            assert_eq!(s.parse::<ModelVersion>().unwrap(), ModelVersion::new(3));
        }
        for s in ["", "v", "v0", "x3", "v-1", "v+3", "production"] {
            assert!(s.parse::<ModelVersion>().is_err(), "{s}");
        }
    }
}

//! A deployment a sweep measures, as `--deployment NAME=SPEC` names it: the embedded store
//! with its injected service time, a topology file or a list of endpoints.

use super::backend::Latency;
use super::topology::Topology;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One deployment of a sweep: a name and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub name: String,
    /// The topology file or endpoint list it was given as.
    pub source: String,
    /// The resolved topology (regions and endpoints), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<Topology>,
    /// The embedded store's injected service time (`memory:LATENCY`), when there is none.
    #[serde(default)]
    pub latency: Latency,
}

/// A deployment name: it names files, so letters, digits, `-` and `_` only.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Deployment {
    /// Parses `NAME=SPEC` (see `geobench sweep --help`).
    pub fn parse(arg: &str) -> Result<Self, String> {
        let (name, spec) = arg
            .split_once('=')
            .ok_or_else(|| format!("--deployment {arg:?}: expected NAME=SPEC"))?;
        let name = name.trim();
        if !valid_name(name) {
            return Err(format!(
                "--deployment {arg:?}: the name must be letters, digits, - or _ (it names files)"
            ));
        }
        let spec = spec.trim();
        let mut latency = Latency::None;
        let topology = if spec == "memory" || spec.starts_with("memory:") {
            if let Some(l) = spec.strip_prefix("memory:") {
                latency = Latency::parse(l).map_err(|e| format!("--deployment {arg:?}: {e}"))?;
            }
            None
        } else if spec.ends_with(".toml") || Path::new(spec).is_file() {
            return Deployment::from_topology_file(name, Path::new(spec))
                .map_err(|e| format!("--deployment {name}: {e}"));
        } else {
            let eps: Vec<String> = spec.split(',').map(|e| e.trim().to_owned()).collect();
            let t = Topology::single_region(eps);
            t.validate(&format!("--deployment {name}"))
                .map_err(|e| e.to_string())?;
            Some(t)
        };
        Ok(Deployment {
            name: name.to_owned(),
            source: spec.to_owned(),
            topology,
            latency,
        })
    }

    /// The deployment a topology file describes (a lab's, or the user's).
    pub fn from_topology_file(
        name: &str,
        path: &Path,
    ) -> Result<Self, super::topology::TopologyError> {
        Ok(Deployment {
            name: name.to_owned(),
            source: path.display().to_string(),
            topology: Some(Topology::load(path)?),
            latency: Latency::None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_parse() {
        let d = Deployment::parse("single=memory").unwrap();
        assert_eq!(
            (d.latency.clone(), d.topology.is_none()),
            (Latency::None, true)
        );
        let d = Deployment::parse("multi=memory:2ms").unwrap();
        assert_eq!(d.latency, Latency::parse("2ms").unwrap());
        let d = Deployment::parse("tidb=10.0.0.1:4000,10.0.0.2:4000").unwrap();
        assert_eq!(d.topology.unwrap().regions[0].endpoints.len(), 2);
        assert!(Deployment::parse("noequals").is_err());
        assert!(Deployment::parse("bad/name=memory").is_err());
        assert!(Deployment::parse("x=memory:fast").is_err());
        assert!(Deployment::parse("x=nohostport").is_err());
        assert!(
            Deployment::parse("x=missing.toml")
                .unwrap_err()
                .contains("missing.toml")
        );
    }
}

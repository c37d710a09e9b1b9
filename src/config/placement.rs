//! What `geobench tidb placement apply` is asked to create, typed and validated once: a
//! replica shape over named regions (`2:1`, `1:1:1`, ...), whether leaders are pinned to the
//! first region, or the user's own placement options. The SQL is written in `db::placement`.

use super::properties::ConfigError;

/// The placement to create.
#[derive(Debug, Clone, PartialEq)]
pub enum PlacementShape {
    /// Voters per region, in the order given: `2:1` over `A,B` is two voters in A, one in B.
    Replicas {
        regions: Vec<(String, u32)>,
        /// Leaders in the first region (with `2:1`: TiDB's PRIMARY_REGION/MAJORITY_IN_PRIMARY);
        /// otherwise PD may put a region's leader on any voter.
        pin_leaders: bool,
    },
    /// Placement options as TiDB takes them after `CREATE PLACEMENT POLICY name`
    /// (`--policy-sql`), passed through unchanged.
    Sql(String),
}

/// A named policy and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementRequest {
    pub policy: String,
    pub shape: PlacementShape,
}

/// The flags of `placement apply`, before validation.
#[derive(Debug, Clone, Default)]
pub struct PlacementFlags<'a> {
    pub shape: Option<&'a str>,
    pub primary: Option<&'a str>,
    pub secondary: Option<&'a str>,
    pub regions: Option<&'a str>,
    pub pin_leaders: bool,
    pub policy_sql: Option<&'a str>,
    pub name: &'a str,
}

fn err(msg: String) -> ConfigError {
    ConfigError::Other(msg)
}

/// A region name as it appears in a store label: no quotes, commas or spaces, which would
/// break out of the SQL string it is written into.
fn region_name(flag: &str, s: &str) -> Result<String, ConfigError> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(err(format!(
            "{flag}: {s:?} is not a region label value (letters, digits, '-', '_', '.')"
        )));
    }
    Ok(s.to_owned())
}

impl PlacementRequest {
    /// Checks the flags together: a shape needs one region per count (`--primary`/
    /// `--secondary` for two, `--regions` for any), `--policy-sql` stands alone.
    pub fn from_flags(f: &PlacementFlags) -> Result<Self, ConfigError> {
        if f.name.is_empty()
            || !f
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(err(format!(
                "--name: {:?} is not a policy name (letters, digits, '_')",
                f.name
            )));
        }
        let policy = f.name.to_owned();
        if let Some(sql) = f.policy_sql {
            if f.shape.is_some() || f.primary.is_some() || f.regions.is_some() || f.pin_leaders {
                return Err(err(
                    "--policy-sql gives the whole placement: drop the shape, --primary, \
                     --secondary, --regions and --pin-leaders"
                        .into(),
                ));
            }
            if sql.trim().is_empty() {
                return Err(err(
                    "--policy-sql: give placement options, e.g. 'PRIMARY_REGION=\"A\" REGIONS=\"A,B\"'"
                        .into(),
                ));
            }
            return Ok(PlacementRequest {
                policy,
                shape: PlacementShape::Sql(sql.trim().to_owned()),
            });
        }
        let Some(shape) = f.shape else {
            return Err(err(
                "placement apply: give a shape (2:1 with --primary A --secondary B, 1:1:1 with \
                 --regions A,B,C) or --policy-sql"
                    .into(),
            ));
        };
        let counts = shape
            .split(':')
            .map(|c| c.trim().parse::<u32>().ok().filter(|n| (1..=9).contains(n)))
            .collect::<Option<Vec<u32>>>()
            .filter(|c| c.len() >= 2)
            .ok_or_else(|| {
                err(format!(
                    "shape {shape:?}: expected voters per region 1-9 separated by ':', e.g. 2:1 \
                     or 1:1:1"
                ))
            })?;
        let names: Vec<String> = match (f.primary, f.secondary, f.regions) {
            (Some(p), Some(s), None) => {
                vec![region_name("--primary", p)?, region_name("--secondary", s)?]
            }
            (None, None, Some(r)) => r
                .split(',')
                .map(|x| region_name("--regions", x))
                .collect::<Result<_, _>>()?,
            (None, None, None) => {
                return Err(err(format!(
                    "shape {shape}: name its regions with --primary A --secondary B or --regions A,B,..."
                )));
            }
            _ => {
                return Err(err(
                    "give either --primary with --secondary, or --regions, not both".into(),
                ));
            }
        };
        if names.len() != counts.len() {
            return Err(err(format!(
                "shape {shape} has {} regions but {} were named ({})",
                counts.len(),
                names.len(),
                names.join(",")
            )));
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != names.len() {
            return Err(err(format!(
                "regions must differ: {} names one twice",
                names.join(",")
            )));
        }
        Ok(PlacementRequest {
            policy,
            shape: PlacementShape::Replicas {
                regions: names.into_iter().zip(counts).collect(),
                pin_leaders: f.pin_leaders,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags<'a>(shape: &'a str) -> PlacementFlags<'a> {
        PlacementFlags {
            shape: Some(shape),
            name: "geobench",
            ..Default::default()
        }
    }

    #[test]
    fn shapes_name_their_regions() {
        let mut f = flags("2:1");
        f.primary = Some("us-east-1");
        f.secondary = Some("B");
        f.pin_leaders = true;
        let r = PlacementRequest::from_flags(&f).unwrap();
        assert_eq!(
            r.shape,
            PlacementShape::Replicas {
                regions: vec![("us-east-1".into(), 2), ("B".into(), 1)],
                pin_leaders: true
            }
        );
        let mut f = flags("1:1:1");
        f.regions = Some("A,B,C");
        assert!(PlacementRequest::from_flags(&f).is_ok());
        f.regions = Some("A,B");
        let e = PlacementRequest::from_flags(&f).unwrap_err().to_string();
        assert!(e.contains("3 regions but 2"), "{e}");
        f.regions = Some("A,B,A");
        assert!(PlacementRequest::from_flags(&f).is_err());
        f.regions = Some("A,B,C\"");
        let e = PlacementRequest::from_flags(&f).unwrap_err().to_string();
        assert!(e.starts_with("--regions"), "{e}");
        let e = PlacementRequest::from_flags(&flags("2:x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("shape \"2:x\""), "{e}");
        let e = PlacementRequest::from_flags(&flags("2:1"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--primary"), "{e}");
    }

    #[test]
    fn policy_sql_stands_alone() {
        let f = PlacementFlags {
            policy_sql: Some(" LEADER_CONSTRAINTS=\"[+region=A]\" "),
            name: "p",
            ..Default::default()
        };
        assert_eq!(
            PlacementRequest::from_flags(&f).unwrap().shape,
            PlacementShape::Sql("LEADER_CONSTRAINTS=\"[+region=A]\"".into())
        );
        let mut g = f.clone();
        g.shape = Some("2:1");
        assert!(PlacementRequest::from_flags(&g).is_err());
        let mut g = f.clone();
        g.name = "p;drop";
        let e = PlacementRequest::from_flags(&g).unwrap_err().to_string();
        assert!(e.starts_with("--name"), "{e}");
        assert!(PlacementRequest::from_flags(&PlacementFlags::default()).is_err());
    }
}

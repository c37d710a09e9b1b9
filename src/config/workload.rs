//! YCSB CoreWorkload settings (`recordcount`, the operation mix, distributions, key and
//! value shapes), resolved from properties and validated once.

use super::properties::{ConfigError, Properties};
use serde::{Deserialize, Serialize};

/// Bytes of the write tag at the start of every value written (see `workload::tag`): values
/// shorter than this cannot be unique to their write.
pub const TAG_LEN: usize = 16;

/// How request keys are chosen (`requestdistribution`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDistribution {
    Uniform,
    /// YCSB's scrambled Zipfian (theta 0.99 over 10^10 items, hashed onto the key range).
    Zipfian,
    /// A true Zipfian over the actual key range with `zipfian.constant` as theta.
    TrueZipfian {
        theta: f64,
    },
    Latest,
    Hotspot {
        data_fraction: f64,
        opn_fraction: f64,
    },
    Sequential,
    Exponential {
        percentile: f64,
        frac: f64,
    },
}

/// How field (or scan) lengths are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthDistribution {
    Constant,
    Uniform,
    Zipfian,
}

/// The operation mix (`*proportion`), as given (not normalised).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OpMix {
    pub read: f64,
    pub update: f64,
    pub insert: f64,
    pub scan: f64,
    pub read_modify_write: f64,
    pub delete: f64,
}

impl OpMix {
    /// The sum of the proportions (YCSB divides each by it).
    pub fn total(&self) -> f64 {
        self.named().iter().map(|(_, v)| v).sum()
    }

    /// Each proportion with its property's operation name, in YCSB's order.
    pub fn named(&self) -> [(&'static str, f64); 6] {
        [
            ("read", self.read),
            ("update", self.update),
            ("insert", self.insert),
            ("scan", self.scan),
            ("read-modify-write", self.read_modify_write),
            ("delete", self.delete),
        ]
    }

    /// The mix that runs, normalised as YCSB does: `read 64.3%, update 35.7%`.
    pub fn effective(&self) -> String {
        let total = self.total();
        self.named()
            .into_iter()
            .filter(|(_, v)| *v > 0.0)
            .map(|(name, v)| format!("{name} {:.1}%", 100.0 * v / total))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// YCSB CoreWorkload settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadConfig {
    pub table: String,
    pub record_count: u64,
    pub operation_count: u64,
    pub field_count: usize,
    pub field_name_prefix: String,
    pub field_length: usize,
    pub min_field_length: usize,
    pub field_length_distribution: LengthDistribution,
    pub read_all_fields: bool,
    pub write_all_fields: bool,
    pub mix: OpMix,
    pub request_distribution: KeyDistribution,
    pub keys: KeyFormat,
    pub insert_start: u64,
    pub insert_count: u64,
    pub min_scan_length: usize,
    pub max_scan_length: usize,
    pub scan_length_distribution: LengthDistribution,
    pub data_integrity: bool,
}

impl WorkloadConfig {
    /// What the user should know about this workload before trusting its figures.
    pub fn warnings(&self) -> Vec<String> {
        let shortest = match self.field_length_distribution {
            LengthDistribution::Constant => self.field_length,
            _ => self.min_field_length,
        };
        let mut w = Vec::new();
        if shortest < TAG_LEN && self.mix.update + self.mix.read_modify_write > 0.0 {
            w.push(format!(
                "values of {shortest} bytes cannot hold the whole {}-byte write tag: an UPDATE \
                 may write the value already stored, which servers skip (counted as unchanged)",
                TAG_LEN
            ));
        }
        let total = self.mix.total();
        // YCSB normalises a mix that does not sum to 1, and so does geobench; but a mistyped
        // proportion then changes every other operation's share too, so say what will run.
        if (total - 1.0).abs() > 1e-6 {
            w.push(format!(
                "the operation proportions sum to {total} (not 1): normalised as YCSB does, \
                 the run's mix is {}",
                self.mix.effective()
            ));
        }
        w
    }

    pub fn field_names(&self) -> Vec<String> {
        (0..self.field_count)
            .map(|i| format!("{}{i}", self.field_name_prefix))
            .collect()
    }

    pub fn schema(&self) -> Schema {
        Schema {
            table: self.table.clone(),
            fields: self.field_names(),
            field_length: self.field_length,
        }
    }
}

pub use geobench_keys::{Compat, KeyFormat};

/// What a load does with keys that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "snake_case")]
pub enum LoadMode {
    /// A duplicate key is an error.
    #[default]
    Strict,
    /// Existing rows are kept; the skipped count is reported.
    Ignore,
    /// Existing rows are overwritten.
    Replace,
}

/// The table shape every backend works with (from the workload properties).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Schema {
    pub table: String,
    /// Field (column) names, `fieldnameprefix` + index.
    pub fields: Vec<String>,
    /// Maximum bytes per field.
    pub field_length: usize,
}

/// The properties' default values, as YCSB's (only those whose default is not obvious).
const YCSB_CORE_CLASS: &str = "site.ycsb.workloads.CoreWorkload";

impl WorkloadConfig {
    /// Resolves and validates the workload settings.
    pub fn from_properties(p: &Properties) -> Result<Self, ConfigError> {
        if let Some(w) = p.get("workload") {
            let class = w.value.trim();
            if class != YCSB_CORE_CLASS && class != "core" {
                return Err(p.invalid(
                    "workload",
                    format!("geobench implements {YCSB_CORE_CLASS} only"),
                ));
            }
        }
        let record_count: u64 = p.parse_or("recordcount", 0)?;
        let operation_count: u64 = p.parse_or("operationcount", 0)?;
        let field_count: usize = p.parse_or("fieldcount", 10)?;
        if field_count == 0 || field_count > 1000 {
            return Err(p.invalid("fieldcount", "must be between 1 and 1000".into()));
        }
        let field_length: usize = p.parse_or("fieldlength", 100)?;
        let min_field_length: usize = p.parse_or("minfieldlength", 1)?;
        if field_length == 0 {
            return Err(p.invalid("fieldlength", "must be at least 1".into()));
        }
        if min_field_length > field_length {
            return Err(p.invalid(
                "minfieldlength",
                format!("exceeds fieldlength={field_length}"),
            ));
        }
        let field_length_distribution = length_distribution(p, "fieldlengthdistribution")?;
        let mix = op_mix(p)?;
        let (insert_start, insert_count) = insert_range(p, record_count)?;
        let request_distribution = request_distribution(p)?;
        let hashed = match p.str_or("insertorder", "hashed").trim() {
            "hashed" => true,
            "ordered" => false,
            _ => return Err(p.invalid("insertorder", "expected hashed or ordered".into())),
        };
        let compat = match p.str_or("compat", "ycsb").trim() {
            "ycsb" => Compat::Ycsb,
            "go-ycsb" => Compat::GoYcsb,
            _ => return Err(p.invalid("compat", "expected ycsb or go-ycsb".into())),
        };
        let zero_padding: usize = p.parse_or("zeropadding", 1)?;
        if zero_padding > 40 {
            return Err(p.invalid("zeropadding", "must be at most 40".into()));
        }
        let min_scan_length: usize = p.parse_or("minscanlength", 1)?;
        let max_scan_length: usize = p.parse_or("maxscanlength", 1000)?;
        if min_scan_length == 0 || min_scan_length > max_scan_length {
            return Err(p.invalid(
                "minscanlength",
                format!("must be between 1 and maxscanlength={max_scan_length}"),
            ));
        }
        let scan_length_distribution = length_distribution(p, "scanlengthdistribution")?;
        if scan_length_distribution == LengthDistribution::Constant {
            return Err(p.invalid(
                "scanlengthdistribution",
                "expected uniform or zipfian".into(),
            ));
        }
        let data_integrity = p.bool_or("dataintegrity", false)?;
        if data_integrity && field_length_distribution != LengthDistribution::Constant {
            return Err(p.invalid(
                "dataintegrity",
                "needs fieldlengthdistribution=constant (values are checked byte for byte)".into(),
            ));
        }
        if data_integrity && field_length <= TAG_LEN {
            return Err(p.invalid(
                "dataintegrity",
                format!(
                    "needs fieldlength > {} (each value starts with a {0}-byte write tag)",
                    TAG_LEN
                ),
            ));
        }
        let table = p.str_or("table", "usertable").trim().to_owned();
        if table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(p.invalid("table", "expected letters, digits and _".into()));
        }
        let field_name_prefix = p.str_or("fieldnameprefix", "field").trim().to_owned();
        if field_name_prefix.is_empty()
            || !field_name_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(p.invalid("fieldnameprefix", "expected letters, digits and _".into()));
        }
        Ok(WorkloadConfig {
            table,
            record_count,
            operation_count,
            field_count,
            field_name_prefix,
            field_length,
            min_field_length,
            field_length_distribution,
            read_all_fields: p.bool_or("readallfields", true)?,
            write_all_fields: p.bool_or("writeallfields", false)?,
            mix,
            request_distribution,
            keys: KeyFormat {
                prefix: p.str_or("keyprefix", "user").to_owned(),
                zero_padding,
                hashed,
                compat,
            },
            insert_start,
            insert_count,
            min_scan_length,
            max_scan_length,
            scan_length_distribution,
            data_integrity,
        })
    }
}

/// The operation proportions; they must not all be 0.
fn op_mix(p: &Properties) -> Result<OpMix, ConfigError> {
    let mix = OpMix {
        read: proportion(p, "readproportion", 0.95)?,
        update: proportion(p, "updateproportion", 0.05)?,
        insert: proportion(p, "insertproportion", 0.0)?,
        scan: proportion(p, "scanproportion", 0.0)?,
        read_modify_write: proportion(p, "readmodifywriteproportion", 0.0)?,
        delete: proportion(p, "deleteproportion", 0.0)?,
    };
    if mix.total() <= 0.0 {
        let key = [
            "readproportion",
            "updateproportion",
            "insertproportion",
            "scanproportion",
        ]
        .into_iter()
        .find(|k| p.contains(k))
        .unwrap_or("readproportion");
        return Err(p.invalid(key, "the operation proportions sum to 0".into()));
    }
    Ok(mix)
}

/// `insertstart` and `insertcount` (by default the rest of `recordcount`), within the records.
fn insert_range(p: &Properties, record_count: u64) -> Result<(u64, u64), ConfigError> {
    let insert_start: u64 = p.parse_or("insertstart", 0)?;
    let insert_count: u64 = match p.get("insertcount") {
        Some(_) => p.parse_or("insertcount", 0)?,
        None => record_count.saturating_sub(insert_start),
    };
    // Checked: both come from the user, and their sum can overflow u64.
    if insert_start
        .checked_add(insert_count)
        .is_none_or(|end| end > record_count)
    {
        let key = if p.contains("insertcount") {
            "insertcount"
        } else {
            "insertstart"
        };
        return Err(p.invalid(
            key,
            format!(
                "insertstart + insertcount = {} exceeds recordcount = {record_count}",
                u128::from(insert_start) + u128::from(insert_count)
            ),
        ));
    }
    Ok((insert_start, insert_count))
}

/// `requestdistribution` and its parameters.
fn request_distribution(p: &Properties) -> Result<KeyDistribution, ConfigError> {
    Ok(match p.str_or("requestdistribution", "uniform").trim() {
        "uniform" => KeyDistribution::Uniform,
        "zipfian" => match p.get("zipfian.constant") {
            None => KeyDistribution::Zipfian,
            Some(_) => {
                let theta: f64 = p.parse_or("zipfian.constant", 0.99)?;
                if !(theta > 0.0 && theta < 1.0) {
                    return Err(p.invalid("zipfian.constant", "must be in (0, 1)".into()));
                }
                KeyDistribution::TrueZipfian { theta }
            }
        },
        "latest" => KeyDistribution::Latest,
        "hotspot" => KeyDistribution::Hotspot {
            data_fraction: fraction(p, "hotspotdatafraction", 0.2)?,
            opn_fraction: fraction(p, "hotspotopnfraction", 0.8)?,
        },
        "sequential" => KeyDistribution::Sequential,
        "exponential" => {
            let percentile: f64 = p.parse_or("exponential.percentile", 95.0)?;
            if !(percentile > 0.0 && percentile < 100.0) {
                return Err(p.invalid("exponential.percentile", "must be in (0, 100)".into()));
            }
            let frac: f64 = p.parse_or("exponential.frac", 0.8571428571)?;
            if frac.is_nan() || frac <= 0.0 {
                return Err(p.invalid("exponential.frac", "must be > 0".into()));
            }
            KeyDistribution::Exponential { percentile, frac }
        }
        _ => {
            return Err(p.not_one_of(
                "requestdistribution",
                &[
                    "uniform",
                    "zipfian",
                    "latest",
                    "hotspot",
                    "sequential",
                    "exponential",
                ],
            ));
        }
    })
}

fn proportion(p: &Properties, key: &str, default: f64) -> Result<f64, ConfigError> {
    let v: f64 = p.parse_or(key, default)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(p.invalid(key, "must be between 0 and 1".into()));
    }
    Ok(v)
}

fn fraction(p: &Properties, key: &str, default: f64) -> Result<f64, ConfigError> {
    proportion(p, key, default)
}

fn length_distribution(p: &Properties, key: &str) -> Result<LengthDistribution, ConfigError> {
    match p
        .str_or(
            key,
            if key == "scanlengthdistribution" {
                "uniform"
            } else {
                "constant"
            },
        )
        .trim()
    {
        "constant" => Ok(LengthDistribution::Constant),
        "uniform" => Ok(LengthDistribution::Uniform),
        "zipfian" => Ok(LengthDistribution::Zipfian),
        "histogram" => Err(p.invalid(key, "histogram lengths are not supported".into())),
        _ => Err(p.not_one_of(key, &["constant", "uniform", "zipfian"])),
    }
}

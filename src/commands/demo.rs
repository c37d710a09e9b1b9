//! `geobench demo` (and `demo failover`): the local lab brought up, a sweep or two runs against
//! it, the report, the lab torn down.

use super::phase::phase_command;
use super::report::write_report;
use super::sweep::run_sweep;
use super::{AppError, bad};
use crate::analysis::sweep::SweepReport;
use crate::cli::{
    Backend, DemoArgs, FailoverDemoArgs, OtherDemo, OutputArgs, SweepArgs, TelemetryArgs,
    TimingArgs, WorkloadArgs,
};
use crate::config::Phase;
use crate::config::deployment::Deployment;
use crate::config::resolve::{BackendChoice, Sources};
use crate::lab::{self, Engine as LabEngine, Lab, UpArgs, raft::RaftArgs, spec::Shape};
use crate::report::text::Text;
use crate::report::{Renderer, ReportFormat, RunFormat, text};
use crate::runner::{self, progress::StatusMode};
use crate::sweep;

fn lab_err(e: lab::LabError) -> AppError {
    AppError::Setup(e.to_string())
}

/// Tears the labs down however the demo ends.
struct Down(Vec<Lab>);

impl Drop for Down {
    fn drop(&mut self) {
        for lab in self.0.drain(..) {
            eprintln!("demo: tearing down lab {}", lab.name);
            if let Err(e) = lab.down(false) {
                eprintln!("demo: {e}");
            }
        }
    }
}

/// The `-p` settings every demo run takes: its record count, and the lab's benchmark account
/// and database.
fn lab_overrides(records: u64) -> Vec<String> {
    vec![
        format!("recordcount={records}"),
        format!("mysql.user={}", lab::spec::BENCH_USER),
        format!("mysql.password={}", lab::spec::BENCH_PASSWORD),
        format!("mysql.db={}", lab::spec::BENCH_DB),
    ]
}

/// `geobench demo`: the single- vs multi-region comparison on the local lab, end to end.
///
/// On the raft engine (the default) the deployments are the user report's shapes
/// (docs/results.md): one region (three replicas of every group in A), 2:1 over A and B with
/// leaders pinned to A, and 1:1:1 over A, B and C with leaders spread; on Galera, one node
/// against three regions.
///
/// Prints the report; the raft demo's shows its multi-region deployments measured beside the
/// model's prediction of them (`report --predict`).
pub fn demo_command(a: &DemoArgs) -> Result<SweepReport, AppError> {
    // As `sweep`: a report already there is replaced only when asked, and before any lab
    // comes up. (No --resume: every demo brings up new, empty labs.)
    let (out, overwrite) = match &a.other {
        Some(OtherDemo::Failover(f)) => (&f.out, f.overwrite),
        None => (&a.out, a.overwrite),
    };
    if sweep::SweepDir::is_sweep(out) && !overwrite {
        return Err(bad(&format!(
            "{} holds a report already: --overwrite replaces it (its steps and report are \
             deleted), or choose another --out",
            out.display()
        )));
    }
    if let Some(OtherDemo::Failover(f)) = &a.other {
        lab::check_installed(Shape::ThreeRegion, true).map_err(lab_err)?;
        let r = failover_demo(f, f.duration)?;
        print!("{}", Text.render(&r));
        return Ok(r);
    }
    let shape = match a.lab_engine {
        LabEngine::Galera => Shape::ThreeRegion,
        LabEngine::Raft => Shape::Raft,
    };
    lab::check_installed(shape, true).map_err(lab_err)?;
    runner::install_interrupt_handler();
    let (labs, deployments) = bring_up(a)?;
    let (_, r) = run_sweep(&demo_sweep(a, deployments))?;
    let r = r.ok_or_else(|| AppError::Failed("the demo sweep wrote no report".into()))?;
    drop(labs);
    eprintln!(
        "demo: report written to {}/report.html and report.md",
        a.out.display()
    );
    // The raft demo's report again, its multi-region deployments beside the model's
    // prediction of them from its single-region one (every format; the text printed here).
    let r = match a.lab_engine {
        LabEngine::Raft => write_report(
            &a.out,
            &ReportFormat::ALL,
            None,
            Some(&a.slo),
            None,
            false,
            &demo_layouts(a),
        )?,
        LabEngine::Galera => r,
    };
    print!("{}", Text.render(&r));
    Ok(r)
}

/// Brings up the demo's labs: their guard, and the deployment each is.
fn bring_up(a: &DemoArgs) -> Result<(Down, Vec<Deployment>), AppError> {
    let mut labs = Down(Vec::new());
    let mut deployments = Vec::new();
    match a.lab_engine {
        LabEngine::Galera => {
            let up = |shape: Shape, name: &str| UpArgs {
                shape,
                rtt: Some(demo_rtt(a)),
                jitter: None,
                loss: 0.0,
                name: Some(name.into()),
                dir: None,
                install: false,
                exe: None,
            };
            for (deployment, shape, lab_name, what) in [
                ("single", Shape::Single, "demo-single", "single-region"),
                (
                    "multi",
                    Shape::ThreeRegion,
                    "demo-three",
                    "three-region Galera",
                ),
            ] {
                eprintln!("demo: bringing up the {what} lab");
                let lab = Lab::up(&up(shape, lab_name)).map_err(lab_err)?;
                deployments.push(lab_deployment(deployment, &lab)?);
                labs.0.push(lab);
            }
        }
        LabEngine::Raft => {
            for (deployment, placement, regions, leaders, lab_name) in [
                ("single", "3", "A", "A", "demo-r1"),
                ("2-1-leaders-A", "2:1", "A,B", "A", "demo-r21"),
                ("1-1-1-spread", "1:1:1", "A,B,C", "spread", "demo-r111"),
            ] {
                eprintln!(
                    "demo: bringing up the raft lab {deployment} (placement {placement} over \
                     {regions}, leaders {leaders})"
                );
                let lab = Lab::up_raft(&RaftArgs {
                    name: Some(lab_name.into()),
                    rtt: Some(demo_rtt(a)),
                    placement: placement.into(),
                    regions: regions.into(),
                    leaders: leaders.into(),
                    records: a.records,
                    ..RaftArgs::default()
                })
                .map_err(lab_err)?;
                deployments.push(lab_deployment(deployment, &lab)?);
                labs.0.push(lab);
            }
        }
    }
    Ok((labs, deployments))
}

/// The deployment `name` a lab that is up is, read from the topology file it wrote.
fn lab_deployment(name: &str, lab: &Lab) -> Result<Deployment, AppError> {
    Deployment::from_topology_file(name, &lab.topology_path())
        .map_err(|e| AppError::Setup(e.to_string()))
}

/// The demo's sweep over its labs' `deployments`.
fn demo_sweep(a: &DemoArgs, deployments: Vec<Deployment>) -> SweepArgs {
    SweepArgs {
        common: WorkloadArgs {
            workload_files: vec!["workloads/geo-5050".into()],
            props: lab_overrides(a.records),
            db: Some(Backend::Mysql),
            dsn: None,
            topology: None,
            status: true,
            status_interval: Some("5s".into()),
            sample_interval: None,
            quiet: false,
            seed: None,
        },
        timing: TimingArgs {
            duration: Some(a.duration.clone()),
            warmup: Some(a.warmup.clone()),
            events: vec![],
        },
        drop: true,
        workers: a.workers.clone(),
        deployments: deployments
            .iter()
            .map(|d| format!("{}={}", d.name, d.source))
            .collect(),
        repeat: a.repeat,
        out: a.out.clone(),
        skip_load: false,
        resume: false,
        overwrite: a.overwrite,
        load_workers: 8,
        slo: Some(a.slo.clone()),
        telemetry: TelemetryArgs::default(),
        fleet: Default::default(),
        step_gap: std::time::Duration::from_secs(5),
        probe: Some(a.probe),
    }
}

/// The demo's round trips unless `--rtt` is given: the lab's defaults, no zones. With 1 ms
/// between each region's zones (`--rtt ...,A-A=1ms,B-B=1ms,C-C=1ms`) every statement and
/// replication message inside a region crosses the emulator: measured 2026-12-02, its CPU per
/// operation doubled (about 440 us), every step of single and 2:1 was host-bound, and at 640
/// clients a quarter of the UPDATEs lost their connection (2013): on two cores that measures
/// the emulator (reports/examples/demo-raft-zones-100k.md).
fn demo_rtt(a: &DemoArgs) -> String {
    a.rtt
        .clone()
        .unwrap_or_else(|| lab::spec::DEFAULT_RTT.into())
}

/// The raft demo's multi-region deployments as `report --predict` describes them to the model
/// (`predict`'s flags; no PD in the lab).
fn demo_layouts(a: &DemoArgs) -> Vec<String> {
    let rtt = demo_rtt(a);
    [
        ("2-1-leaders-A", "2:1", "A,B", "A"),
        ("1-1-1-spread", "1:1:1", "A,B,C", "spread"),
    ]
    .map(|(deployment, placement, regions, leaders)| {
        format!(
            "{deployment}=--rtt {rtt} --placement {placement} --regions {regions} --leaders {leaders} --pd none --engine raft-lab"
        )
    })
    .to_vec()
}

/// `geobench demo failover`: the three-region lab, region C's node stopped and started
/// during a 50/50 run, checks on, client failover off then on; both runs are stored as the two
/// "deployments" of a one-step sweep so that the report shows them side by side.
///
/// C's *node* is stopped rather than C cut off the WAN: a cut isolates C's clients too, and no
/// client-side failover can reach another region from an isolated one; a dead database with
/// live application servers is what a geo load balancer's failover is for.
fn failover_demo(
    f: &FailoverDemoArgs,
    duration: std::time::Duration,
) -> Result<SweepReport, AppError> {
    runner::install_interrupt_handler();
    eprintln!("demo failover: bringing up the three-region Galera lab (this takes a minute)");
    let lab = Lab::up(&UpArgs {
        shape: Shape::ThreeRegion,
        rtt: None,
        jitter: None,
        loss: 0.0,
        name: Some("demo-failover".into()),
        dir: None,
        install: false,
        exe: None,
    })
    .map_err(lab_err)?;
    let down = Down(vec![lab]);
    let lab = &down.0[0];
    let exe = std::env::current_exe()
        .map_err(|e| AppError::Setup(format!("finding this program: {e}")))?;
    let lab_cmd = |what: &str| format!("{} lab {what} --dir {}", exe.display(), lab.dir.display());
    // The runs' sources, as `load`/`run` would build them from their flags.
    let mut common = Sources {
        workload_files: vec!["workloads/geo-5050".into()],
        overrides: lab_overrides(f.records),
        backend: Some(BackendChoice::Mysql),
        topology: Some(lab.topology_path()),
        ..Default::default()
    };
    common.option("status.interval", Some("1s".into()), "--status-interval");
    let status = StatusMode::auto(true, false);
    let mut load = common.clone();
    load.option("threadcount", Some("8".into()), "--workers");
    load.drop_table = true;
    let no_output = OutputArgs {
        out: None,
        format: vec![],
    };
    phase_command(&load, Phase::Load, status, &no_output, false, &None)?;
    let dir = sweep::SweepDir::new(&f.out);
    dir.clear().map_err(|e| bad(&e.to_string()))?;
    let mut deployments = Vec::new();
    for (name, failover) in [("no-failover", false), ("failover", true)] {
        eprintln!(
            "demo failover: run with client failover {}",
            if failover { "on" } else { "off" }
        );
        let mut run = common.clone();
        if failover {
            run.overrides.push("failover=region".into());
            run.overrides
                .push(format!("failover.after={}", f.failover_after));
        }
        run.overrides.push(format!("label={name}"));
        run.option("threadcount", Some(f.workers.to_string()), "--workers");
        let secs = format!("{}s", duration.as_secs_f64());
        run.option("maxexecutiontime", Some(secs), "--duration");
        run.option("warmuptime", Some("5s".into()), "--warmup");
        run.events = vec![
            format!("{}={}", f.fail_at, lab_cmd("stop n3")),
            format!("{}={}", f.heal_at, lab_cmd("start n3")),
        ];
        run.option("check", Some("lost-writes,stale-reads".into()), "--check");
        run.option("check.settle", Some("20s".into()), "--settle");
        let output = OutputArgs {
            out: Some(dir.step_path(name, f.workers, 1)),
            format: vec![RunFormat::Table],
        };
        phase_command(&run, Phase::Run, status, &output, false, &None)?;
        deployments.push(lab_deployment(name, lab)?);
    }
    dir.write_manifest(&sweep::Manifest {
        schema_version: crate::results::SCHEMA_VERSION,
        tool: format!("geobench {}", env!("CARGO_PKG_VERSION")),
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        workload_files: vec!["workloads/geo-5050".into()],
        overrides: vec![format!("recordcount={}", f.records)],
        deployments,
        concurrencies: vec![f.workers],
        repeats: 1,
        duration_s: duration.as_secs_f64(),
        warmup_s: 5.0,
        fleet: None,
        probe_rate: None,
    })
    .map_err(|e| bad(&e.to_string()))?;
    let r = write_report(&f.out, &ReportFormat::ALL, None, None, None, false, &[])?;
    drop(down);
    // The comparison the demo is for: C's clients with and without failover.
    print!("{}", text::failover_summary(&r));
    Ok(r)
}

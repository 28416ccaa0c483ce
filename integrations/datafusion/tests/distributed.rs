//! Really distributed: a Ballista scheduler and two executors, each a
//! separate process (this test binary run again as a node), on ephemeral
//! ports of 127.0.0.1, every one with the revops functions registered. The
//! funnel and retention queries run over Parquet files the test writes,
//! and must give what one process gives. Both executors must have done
//! part of the work (each leaves shuffle files in its work directory).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista::prelude::SessionContextExt;
use datafusion::arrow::array::{Int32Array, Int64Array, RecordBatch, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// The environment variable that makes this binary a cluster node.
const NODE: &str = "REVOPS_BALLISTA_NODE";

/// Run as a node (scheduler or executor) when [`NODE`] says so; a no-op
/// test otherwise.
#[test]
fn node() {
    let Ok(role) = std::env::var(NODE) else {
        return;
    };
    let port = |name: &str| -> u16 { std::env::var(name).unwrap().parse().unwrap() };
    let parent: u32 = port("REVOPS_PARENT").into();
    // Exit when the test process is gone, whatever killed it.
    std::thread::spawn(move || loop {
        if !Path::new(&format!("/proc/{parent}")).exists() {
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_millis(500));
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .unwrap();
    match role.as_str() {
        "scheduler" => rt.block_on(scheduler(port("REVOPS_SCHEDULER_PORT"))),
        "executor" => rt.block_on(executor(
            port("REVOPS_SCHEDULER_PORT"),
            port("REVOPS_FLIGHT_PORT"),
            port("REVOPS_GRPC_PORT"),
            PathBuf::from(std::env::var("REVOPS_WORK_DIR").unwrap()),
        )),
        other => panic!("unknown role {other}"),
    }
}

async fn scheduler(port: u16) {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let config = SchedulerConfig::default()
        .with_hostname("127.0.0.1")
        .with_port(port)
        .with_override_session_builder(Arc::new(|config| {
            let state = ballista_core::utils::default_session_builder(config)?;
            // The row-keeping aggregates in one phase, as the SQL shell
            // plans them.
            let mut state = datafusion::execution::SessionStateBuilder::new_from_existing(state)
                .with_physical_optimizer_rule(Arc::new(
                    revops_datafusion::OnePhaseRowAggregates::new(),
                ))
                .build();
            revops_datafusion::register_all(&mut state)?;
            Ok(state)
        }));
    let cluster = BallistaCluster::new_from_config(&config).await.unwrap();
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    ballista_scheduler::scheduler_process::start_server(cluster, addr, Arc::new(config))
        .await
        .unwrap();
}

async fn executor(scheduler_port: u16, port: u16, grpc_port: u16, work_dir: PathBuf) {
    use ballista_core::registry::BallistaFunctionRegistry;
    use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
    let mut registry = BallistaFunctionRegistry::default();
    for f in revops_datafusion::functions() {
        registry
            .aggregate_functions
            .insert(f.name().to_string(), Arc::new(f));
    }
    let config = ExecutorProcessConfig {
        bind_host: "127.0.0.1".into(),
        external_host: Some("127.0.0.1".into()),
        port,
        grpc_port,
        scheduler_host: "127.0.0.1".into(),
        scheduler_port,
        vcores: 1,
        work_dir: Some(work_dir.to_string_lossy().into_owned()),
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config)).await.unwrap();
}

/// The child processes, killed when this is dropped (on success, failure
/// or panic).
struct Cluster {
    children: Vec<(String, Child)>,
    dir: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Cluster {
    fn spawn(&mut self, name: &str, env: &[(&str, String)]) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["node", "--exact", "--nocapture", "--test-threads", "1"])
            .env(
                NODE,
                if name == "scheduler" {
                    "scheduler"
                } else {
                    "executor"
                },
            )
            .env("REVOPS_PARENT", std::process::id().to_string())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.children.push((name.to_string(), cmd.spawn().unwrap()));
    }

    /// The nodes' logs, for a failure message.
    fn logs(&self) -> String {
        let mut out = String::new();
        for (name, _) in &self.children {
            let text =
                std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            out.push_str(&format!("--- {name}\n"));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// Fails unless every node is still running.
    fn check_alive(&mut self) {
        let mut dead = Vec::new();
        for (name, c) in &mut self.children {
            if let Ok(Some(status)) = c.try_wait() {
                dead.push(format!("{name} exited: {status}"));
            }
        }
        assert!(dead.is_empty(), "{dead:?}\n{}", self.logs());
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until every port accepts connections (at most until `deadline`).
fn wait_for(cluster: &mut Cluster, ports: &[u16], deadline: Instant) {
    for &p in ports {
        while TcpStream::connect(("127.0.0.1", p)).is_err() {
            cluster.check_alive();
            assert!(
                Instant::now() < deadline,
                "port {p} not ready within 30 s\n{}",
                cluster.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Seeded events: 3,000 users, about 12 events each, in three Parquet
/// files (each user's events spread over all three).
fn write_events(dir: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Int64, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            false,
        ),
        Field::new("step", DataType::Int32, false),
    ]));
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut files: Vec<(Vec<i64>, Vec<i64>, Vec<i32>)> = vec![Default::default(); 3];
    for user in 0..3_000i64 {
        let mut t = 1_700_000_000_000 + (next() % 86_400_000) as i64;
        for _ in 0..(next() % 24) {
            t += (next() % 900_000) as i64;
            let f = &mut files[(next() % 3) as usize];
            f.0.push(user);
            f.1.push(t);
            f.2.push((next() % 6) as i32);
        }
    }
    for (i, (u, t, st)) in files.into_iter().enumerate() {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(u)),
                Arc::new(TimestampMillisecondArray::from(t)),
                Arc::new(Int32Array::from(st)),
            ],
        )
        .unwrap();
        let file = std::fs::File::create(dir.join(format!("part-{i}.parquet"))).unwrap();
        let mut w = ArrowWriter::try_new(file, schema.clone(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
}

const QUERIES: &[&str] = &[
    "SELECT user_id, window_funnel(3600, ts, step = 0, step = 1, step = 2, step = 3) AS level \
     FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT level, count(*) AS users FROM (SELECT user_id, window_funnel(3600, \
     'strict_order,strict_deduplication', ts, step = 0, step = 1, step = 2) AS level \
     FROM events GROUP BY user_id) GROUP BY level ORDER BY level",
    "SELECT user_id, window_funnel(1800, 'strict_once,strict_increase', ts, step = 0, step <= 1, \
     step >= 1, step = 2) AS level FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT user_id, retention(step = 0, step = 3, step = 5) AS r FROM events \
     GROUP BY user_id ORDER BY user_id",
    "SELECT user_id, rfm(ts, CAST(step AS DECIMAL(10, 2)) + 0.5, 'day', DATE '2023-11-15') AS s \
     FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT user_id, sequence_match('(?1)(?t<=1800)(?2)', ts, step = 0, step = 1) AS m, \
     sequence_count('(?1).*(?2)', ts, step = 0, step = 1) AS n \
     FROM events GROUP BY user_id ORDER BY user_id",
    "SELECT get_field(c, 'channel') AS channel, get_field(c, 'conversions') AS conversions, \
     get_field(c, 'value') AS value FROM (SELECT unnest(attribution('linear', path, conversions, \
     value, nulls)) AS c FROM (SELECT array_agg(CAST(step AS VARCHAR) ORDER BY ts, step) AS path, \
     CAST(max(step) = 5 AS BIGINT) AS conversions, \
     CAST(count(*) AS DECIMAL(18, 2)) * CAST(max(step) = 5 AS BIGINT) AS value, \
     1 - CAST(max(step) = 5 AS BIGINT) AS nulls FROM events GROUP BY user_id))",
    "SELECT get_field(c, 'channel') AS channel, get_field(c, 'conversions') AS conversions, \
     get_field(c, 'value') AS value FROM (SELECT unnest(markov_attribution(path, conversions, \
     value, nulls, 2)) AS c FROM (SELECT array_agg(CAST(step AS VARCHAR) ORDER BY ts, step) AS path, \
     CAST(max(step) = 5 AS BIGINT) AS conversions, \
     CAST(count(*) AS DECIMAL(18, 2)) * CAST(max(step) = 5 AS BIGINT) AS value, \
     1 - CAST(max(step) = 5 AS BIGINT) AS nulls FROM events GROUP BY user_id))",
];

async fn run_all(ctx: &SessionContext) -> Vec<String> {
    let mut out = Vec::new();
    for q in QUERIES {
        let batches = ctx.sql(q).await.unwrap().collect().await.unwrap();
        out.push(pretty_format_batches(&batches).unwrap().to_string());
    }
    out
}

#[test]
fn ballista_cluster_equals_one_process() {
    if std::env::var(NODE).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("events");
    std::fs::create_dir(&data).unwrap();
    write_events(&data);
    let mut cluster = Cluster {
        children: Vec::new(),
        dir: dir.path().to_path_buf(),
    };
    let scheduler = free_port();
    cluster.spawn(
        "scheduler",
        &[("REVOPS_SCHEDULER_PORT", scheduler.to_string())],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for(&mut cluster, &[scheduler], deadline);
    let mut work_dirs = Vec::new();
    let mut ports = Vec::new();
    for i in 0..2 {
        let (flight, grpc) = (free_port(), free_port());
        let work = dir.path().join(format!("work-{i}"));
        std::fs::create_dir(&work).unwrap();
        cluster.spawn(
            &format!("executor-{i}"),
            &[
                ("REVOPS_SCHEDULER_PORT", scheduler.to_string()),
                ("REVOPS_FLIGHT_PORT", flight.to_string()),
                ("REVOPS_GRPC_PORT", grpc.to_string()),
                ("REVOPS_WORK_DIR", work.to_string_lossy().into_owned()),
            ],
        );
        work_dirs.push(work);
        ports.extend([flight, grpc]);
    }
    wait_for(&mut cluster, &ports, deadline);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let path = data.to_string_lossy().into_owned();
    let (remote, local) = rt.block_on(async {
        let mut remote = SessionContext::remote(&format!("df://127.0.0.1:{scheduler}"))
            .await
            .unwrap();
        revops_datafusion::register_all(&mut remote).unwrap();
        remote
            .register_parquet("events", &path, ParquetReadOptions::default())
            .await
            .unwrap();
        let remote_results = tokio::time::timeout(Duration::from_secs(120), run_all(&remote)).await;
        let mut local = SessionContext::new();
        revops_datafusion::register_all(&mut local).unwrap();
        local
            .register_parquet("events", &path, ParquetReadOptions::default())
            .await
            .unwrap();
        (remote_results, run_all(&local).await)
    });
    cluster.check_alive();
    let remote =
        remote.unwrap_or_else(|_| panic!("the cluster took over 120 s\n{}", cluster.logs()));
    for (q, (r, l)) in QUERIES.iter().zip(remote.iter().zip(&local)) {
        assert_eq!(r, l, "{q}");
        assert!(l.lines().count() > 5, "{q} gave too little: {l}");
    }
    // Both executors did part of the work.
    for w in &work_dirs {
        let files = walk(w);

        assert!(
            files > 0,
            "executor {} wrote no shuffle files\n{}",
            w.display(),
            cluster.logs()
        );
    }
}

fn walk(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                1
            }
        })
        .sum()
}

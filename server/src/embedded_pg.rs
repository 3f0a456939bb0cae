//! A private Postgres cluster made from the system's binaries: no system service, no network
//! beyond loopback. The demo keeps one under its data directory; tests make throwaway ones.

use anyhow::{bail, Context, Result};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct PgCluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// How the cluster trades safety for speed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Survives a crash: the demo's data.
    Durable,
    /// fsync off: throwaway test clusters.
    Throwaway,
}

impl PgCluster {
    /// Starts the cluster under `dir`, creating it on first use. A cluster left running by a
    /// killed process is stopped and started again.
    pub fn start(dir: &Path, durability: Durability) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let dir = dir
            .canonicalize()
            .with_context(|| format!("resolve {}", dir.display()))?;
        let mut cluster = Self {
            bin_dir: find_bin_dir()?,
            as_postgres_user: running_as_root()?,
            port: 0,
            dir,
        };
        if cluster.as_postgres_user {
            cluster.run(
                "chown",
                &["-R", "postgres:postgres", &cluster.dir_str()],
                false,
            )?;
            cluster
                .run("test", &["-w", &cluster.dir_str()], true)
                .map_err(|_| {
                    anyhow::anyhow!(
                        "the postgres user cannot reach {}: a parent directory is private \
                         (such as /root). Choose a data directory elsewhere, for example \
                         --data-dir /var/tmp/paydesk-demo",
                        cluster.dir.display()
                    )
                })?;
        }
        if !cluster.data_dir().join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        if cluster.pg_ctl(&["status"]).is_ok() {
            cluster.pg_ctl(&["stop", "-m", "fast", "-w"])?;
        }
        cluster.port = free_port()?;
        cluster.launch(durability)?;
        Ok(cluster)
    }

    /// Starts a stopped cluster again on the same port.
    pub fn launch(&self, durability: Durability) -> Result<()> {
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            self.port,
            self.dir_str()
        );
        if durability == Durability::Throwaway {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = self.dir.join("postgres.log");
        let log = log.to_string_lossy().into_owned();
        self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &options])
            .with_context(|| format!("start Postgres (see {log})"))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` in this cluster (trust authentication, loopback only).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn stop(&self) -> Result<()> {
        self.pg_ctl(&["stop", "-m", "fast", "-w"])
    }

    /// Stops the cluster as a crash would: no checkpoint, connections cut.
    pub fn crash(&self) -> Result<()> {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"])
    }

    /// Stops the cluster and deletes its directory once process `pid` has exited, however it
    /// exits: tests cannot rely on destructors of statics.
    pub fn remove_when_process_exits(&self, pid: u32) -> Result<()> {
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let stop = self.as_user(&format!(
            "{} -D {} stop -m immediate",
            pg_ctl.display(),
            self.data_dir().display()
        ));
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{}'",
            self.dir_str()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("spawn cluster watchdog")?;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn dir_str(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }

    fn as_user(&self, command: &str) -> String {
        if self.as_postgres_user {
            format!("runuser -u postgres -- {command}")
        } else {
            command.to_owned()
        }
    }

    fn initdb(&self) -> Result<()> {
        let initdb = self.bin_dir.join("initdb");
        let data = self.data_dir();
        self.run(
            &initdb.to_string_lossy(),
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            self.as_postgres_user,
        )
        .context("initdb")
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<()> {
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let data = self.data_dir();
        let mut all = vec!["-D", data.to_str().context("data dir is not UTF-8")?];
        all.extend_from_slice(args);
        self.run(&pg_ctl.to_string_lossy(), &all, self.as_postgres_user)
    }

    fn run(&self, program: &str, args: &[&str], as_postgres: bool) -> Result<()> {
        let mut command = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("run {program}"))?;
        if !output.status.success() {
            bail!(
                "{program} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

/// `PAYDESK_PG_BIN`, else the directory of `initdb` on PATH, else Debian's newest
/// `/usr/lib/postgresql/N/bin`.
fn find_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PAYDESK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    if let Some(dir) = on_path {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .context("no Postgres binaries found: install Debian's `postgresql` or set PAYDESK_PG_BIN")
}

/// initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
fn running_as_root() -> Result<bool> {
    Ok(std::fs::metadata("/proc/self")
        .context("read /proc/self")?
        .uid()
        == 0)
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

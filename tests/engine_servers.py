"""A throwaway PostgreSQL server and a local Spark session for the engine tests, and loaders that
put the same generated tables into each.

Missing software skips the tests with what to install, unless ``ISKPI_REQUIRE_ENGINES=1``
(set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import glob
import io as _io
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

INSTALL = {
    "postgres": "PostgreSQL server binaries (Debian: apt-get install -y postgresql) and psycopg "
    "(pip install 'psycopg[binary]', in the kit's test extra)",
    "spark": "pyspark (pip install pyspark, in the kit's test extra) and a Java runtime "
    "(Debian: apt-get install -y default-jdk-headless)",
}


def unavailable(engine: str, why: str):
    """Skip (or, with ISKPI_REQUIRE_ENGINES=1, fail) naming what to install."""
    msg = f"{engine} engine tests need {INSTALL[engine]}: {why}"
    if os.environ.get("ISKPI_REQUIRE_ENGINES") == "1":
        pytest.fail(msg + " (ISKPI_REQUIRE_ENGINES=1: required here)")
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl in a temporary directory, listening on 127.0.0.1 only (trust auth)."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = bins[-1] if bins else shutil.which("initdb")
        if not initdb:
            raise FileNotFoundError("initdb not found (no /usr/lib/postgresql/*/bin, none on PATH)")
        self.bin = Path(initdb).parent
        # initdb refuses root: run the server as the Debian package's postgres user then
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.dir = Path(tempfile.mkdtemp(prefix="iskpi-pg-"))
        self.dir.chmod(0o755)
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = _free_port()
        self.data = self.dir / "data"

    def _run(self, *args):
        out = subprocess.run([*self.as_user, *map(str, args)], capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"{args[0]} failed ({out.returncode}): {out.stderr or out.stdout}")

    def start(self) -> str:
        self._run(self.bin / "initdb", "-D", self.data, "-U", "iskpi", "--auth=trust", "-E", "UTF8", "--no-locale")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c TimeZone=UTC"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.dir / "log", "-w", "start")
        self._watchdog()
        return f"postgresql://iskpi@127.0.0.1:{self.port}/postgres"

    def _watchdog(self):
        """Stop the server when this test process dies without its teardown (killed, crashed)."""
        stop = " ".join(
            shlex.quote(str(a)) for a in [*self.as_user, self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "stop"]
        )
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
            f"if [ -d {shlex.quote(str(self.data))} ]; then {stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.dir))}; fi"
        )
        subprocess.Popen(
            ["sh", "-c", script], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self):
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


_PG = {"string": "text", "bool": "boolean", "boolean": "boolean", "int64": "bigint", "float64": "double precision"}


def _pg_type(s: pd.Series) -> str:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(s):
        return "date"
    return _PG.get(str(s.dtype).lower(), "text")


def load_postgres(url: str, schema: str, frames: dict[str, pd.DataFrame]) -> None:
    """Create ``schema`` with one table per frame (contract types) and COPY the rows in."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
        for name, df in frames.items():
            cols = ", ".join(f'"{c}" {_pg_type(df[c])}' for c in df.columns)
            con.execute(f"CREATE TABLE {schema}.{name} ({cols})")
            d = df.copy()
            for c in d.columns:
                if isinstance(d[c].dtype, pd.DatetimeTZDtype):
                    d[c] = d[c].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
                elif pd.api.types.is_datetime64_dtype(d[c]):
                    d[c] = d[c].dt.strftime("%Y-%m-%d")
            buf = _io.StringIO()
            d.to_csv(buf, index=False, header=False, na_rep="")
            with con.cursor().copy(f"COPY {schema}.{name} FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buf.getvalue())


def start_spark(tmp: Path):
    """A local Spark session (one core, one shuffle partition: small data, quick queries)."""
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("iskpi-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # tiny data: compiling generated code and re-planning cost more than they save
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.started_in = time.perf_counter() - t0
    return spark


def load_spark(spark, tmp: Path, frames: dict[str, pd.DataFrame], *, shared: bool = True) -> str:
    """Write each frame as Parquet and register it as a view: a global temporary view
    (``shared``; returns the database ``global_temp``) or a session one (returns "")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, df in frames.items():
        d = df.copy()
        for c in d.columns:
            if pd.api.types.is_datetime64_dtype(d[c]) and not isinstance(d[c].dtype, pd.DatetimeTZDtype):
                d[c] = d[c].dt.date  # a date column (joined_on …): DATE in Spark, not a timestamp
            elif isinstance(d[c].dtype, pd.DatetimeTZDtype):
                d[c] = d[c].dt.as_unit("us")  # Spark reads microsecond Parquet timestamps only
        path = tmp / f"{name}.parquet"
        pq.write_table(pa.Table.from_pandas(d, preserve_index=False), path)
        df = spark.read.parquet(str(path))
        if shared:
            df.createOrReplaceGlobalTempView(name)
        else:
            df.createOrReplaceTempView(name)
    return "global_temp" if shared else ""

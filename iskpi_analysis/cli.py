"""``iskpi`` command line: a thin wrapper over the Python API.

iskpi --version                the installed version of the kit
iskpi validate --data DIR      data-quality summary; exit 1 on contract errors
iskpi sample [--out DIR]       regenerate the deterministic sample data
iskpi report --month YYYY-MM   run every notebook and write the HTML report
iskpi import --from SOURCE --mapping M.toml --out DIR FILE...
                               vendor exports → contract files + import log, then validate
iskpi aggregate --data URL|DIR --out DIR
                               rep-day/week/month and call buckets computed where the data
                               lives (postgresql://…, spark://…, or files via DuckDB)
"""

from __future__ import annotations

import argparse
import sys

from . import config

__all__ = ["build_parser", "main"]


def _version() -> str:
    from . import __version__

    return __version__


def _shown(source) -> str:
    """A data directory, or a database URL without its password."""
    from .dataset.warehouse import redact

    return redact(source) if "://" in str(source) else str(source)


def _validate(args) -> int:
    from . import dataset

    try:
        data = dataset.load_data(args.data, tz=args.tz, prefer=args.prefer)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except dataset.DataValidationError as exc:
        print(f"INVALID: {_shown(args.data)}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 1
    except Exception as exc:  # a database URL: the driver's errors (refused, unknown schema …), one line
        if "://" not in str(args.data):
            raise
        print(f"error: cannot read {_shown(args.data)}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    summary = data.summary()
    print(f"data: {data.data_dir}  (fingerprint {data.fingerprint}, time zone {data.tz})")
    print(summary.to_string(index=False, na_rep="-"))
    reps = data.reps
    print(
        f"reps: {len(reps)} in {reps['team_id'].nunique()} team(s) "
        f"({', '.join(f'{r}={n}' for r, n in reps['role'].value_counts().sort_index().items())})"
    )
    print(f"months with activity: {', '.join(data.months())}")
    if data.inbound_calls:
        print(f"inbound calls: {data.inbound_calls:,} (kept; connect rates and time of day use outbound calls)")
    if data.warnings:
        print(f"valid, with {len(data.warnings)} warning(s) (rows kept or dropped, counted):")
        for w in data.warnings:
            print(f"  - {w}")
    else:
        print("problems found: none")
    return 0


def _sample(args) -> int:
    from . import sample

    argv = ["--out", str(args.out), "--seed", str(args.seed), "--format", args.format]
    return sample.main(argv) or 0


def _import(args) -> int:
    """Exit codes as ``iskpi validate``: 0 imported and valid, 1 data problems (import or
    validation), 2 a missing file or a wrong mapping file."""
    from . import importers

    try:
        res = importers.import_files(args.files, source=args.source, mapping=args.mapping, out=args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except importers.MappingError as exc:
        print(f"mapping error: {exc}", file=sys.stderr)
        return 2
    except importers.ImportProblems as exc:
        print(f"NOT IMPORTED: {', '.join(map(str, args.files))}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 1
    print(res.log.text())
    print(f"import log: {res.out / 'import_log.txt'}")
    # validate exactly as `iskpi validate` would (same parser defaults, same exit codes)
    return int(
        _validate(build_parser().parse_args(["validate", "--data", str(res.out), "--tz", res.mapping.timezone])) or 0
    )


def _aggregate(args) -> int:
    """Exit 0 written (problem counts printed as warnings), 2 a bad source."""
    from . import dataset, engines
    from .engines.export import export
    from .engines.local import LocalEngine

    try:
        if engines.is_url(args.data):
            eng = engines.connect(args.data, tz=args.tz)
        else:
            eng = LocalEngine(dataset.load_data(args.data, tz=args.tz))
    except (FileNotFoundError, ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        manifest = export(eng, args.out, source=str(getattr(eng, "url", args.data)))
    finally:
        eng.close()
    for name, t in manifest["tables"].items():
        print(f"{name}: {t['rows']:,} rows in {t['seconds']:.2f} s")
    for p in manifest["problems"]:
        print(f"warning: {p}", file=sys.stderr)
    print(f"written to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iskpi", description="Inside-sales KPI analytics kit")
    p.add_argument("--version", action="version", version=f"iskpi {_version()}", help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a data directory against the data contract")
    v.add_argument(
        "--data",
        default=str(config.DATA_DIR),
        help="data directory, or a database URL (postgresql://…, spark://…: counted there) (default: sample data)",
    )
    v.add_argument("--tz", default=config.DEFAULT_TZ, help="local time zone (default: %(default)s)")
    v.add_argument(
        "--prefer",
        choices=("csv", "parquet"),
        default=None,
        help="which file to read when a table has both NAME.csv and NAME.parquet "
        f"(default: ${config.PREFER_FORMAT_ENV}; unset, both is an error)",
    )
    v.set_defaults(func=_validate)

    s = sub.add_parser("sample", help="regenerate the deterministic sample data")
    s.add_argument("--out", default=str(config.SAMPLE_DATA_DIR), help="output directory")
    s.add_argument("--seed", type=int, default=20261031, help="random seed (default: %(default)s)")
    s.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    s.set_defaults(func=_sample)

    from .importers.driver import SOURCES

    imp = sub.add_parser(
        "import",
        help="convert CRM exports (Salesforce, HubSpot, MiiTel, Zoho, any "
        "CSV/xlsx) into contract files, then validate them",
    )
    imp.add_argument(
        "--from", dest="source", required=True, choices=tuple(SOURCES), help="the system the files were exported from"
    )
    imp.add_argument("--mapping", help="mapping TOML (columns, values, reps, encoding; see examples/)")
    imp.add_argument("--out", required=True, help="directory for the contract files and import_log.*")
    imp.add_argument("files", nargs="+", metavar="FILE", help="export files (CSV or xlsx; several per table)")
    imp.set_defaults(func=_import)

    a = sub.add_parser(
        "aggregate",
        help="compute the rep-day/week/month tables and call buckets where the data lives; write only them",
    )
    a.add_argument(
        "--data",
        default=str(config.DATA_DIR),
        help="postgresql://user@host/db[?schema=s], spark://local/<db>, spark://host:7077/<db>, "
        "spark:///<catalog.schema>, or a data directory (default: sample data)",
    )
    a.add_argument("--out", required=True, help="directory for the Parquet tables, counts and manifest")
    a.add_argument("--tz", default=config.DEFAULT_TZ, help="local time zone (default: %(default)s)")
    a.set_defaults(func=_aggregate)

    try:
        from . import report
    except ImportError:  # the runner module is optional while the kit is being assembled
        report = None
    if report is not None:
        r = sub.add_parser("report", help="run every notebook for a month and write HTML")
        report.add_report_arguments(r)
        r.set_defaults(func=report.report_main)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

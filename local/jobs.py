"""Run one scheduled job (an `@app.schedule` handler) once, now, against the
local stack: `make job NAME=<function name>` (`python -m local.jobs NAME`).
Without NAME, or with an unknown one, lists the jobs. Start `make run` in
another terminal first: the job talks to its DynamoDB Local and moto."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from local import engines, run

    try:
        config = run.StackConfig.from_env()
    except run.StackError as exc:
        print(f"make job: {exc}", file=sys.stderr)
        return 2
    # The same environment as the API and the event runner of `make run`,
    # set before the app is imported (settings are read once, at import).
    env = run.app_env(config, jwt_secret=run.read_jwt_secret(config.jwt_secret_path))
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, engines.ROOT)

    from local import events

    events.configure_logging()
    runner = events.EventRunner(events.load_app("app:app"), retry_delays=())
    jobs = {s.name: s for s in runner.schedule_sources}
    name = argv[0] if argv else ""
    if name not in jobs:
        if name:
            print(f"make job: no scheduled job named {name!r}", file=sys.stderr)
        if jobs:
            print("scheduled jobs (run one with `make job NAME=<name>`):")
            for job_name in sorted(jobs):
                print(f"  {job_name:<32} {runner.schedules[job_name].expression}")
        else:
            print("the app has no scheduled jobs (@app.schedule) yet")
        return 2
    if not (engines.port_open(config.dynamodb_port) and engines.port_open(config.moto_port)):
        print(
            f"make job: the local stack is not running (nothing on DYNAMODB_PORT={config.dynamodb_port} / "
            f"MOTO_PORT={config.moto_port}); start `make run` in another terminal first",
            file=sys.stderr,
        )
        return 1
    try:
        result = runner.fire(jobs[name])
    except Exception:
        import traceback

        traceback.print_exc()
        print(f"make job: {name} failed", file=sys.stderr)
        return 1
    print(f"{name} finished" + (f": {result!r}" if result is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Airflow DAG running driftwatch once per data interval.

Two variants of the same task, pick one:

* ``drift_report``: a BashOperator calling the driftwatch binary installed on the
  workers. BashOperator pushes the last line of stdout to XCom: driftwatch's one-line
  JSON summary (``{"status": "ok|drift|failed", "jobs": [...]}``).
* ``drift_report_k8s``: a KubernetesPodOperator running the distroless image built by
  the repository's Dockerfile. The pod reads its config from a ConfigMap and the live
  logs from a volume; the state store is PostgreSQL (the pod's disk does not last).

The contract (README.md, "Airflow and Kubernetes"): the data interval is passed as
``--window-start/--window-end`` (or ``--at {{ data_interval_end }}``); the run ID, the
report file and the history row depend only on the job and the logical time, so task
retries and ``airflow dags backfill`` replace the same outputs. Exit codes: 0 ok (drift
or not), 1 run failed (retry), 2 usage or config error (fix the DAG or config), 3 drift
with ``--fail-on-drift``. On SIGTERM (task timeout, marked failed) driftwatch stops at
once, writes no partial report and exits 1. Logs go to stderr as JSON lines.

Tested with ``python3 -m ast``-level checks (examples/examples_test.go); Airflow itself
is not installed in CI.
"""

from datetime import timedelta

import pendulum
from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from kubernetes.client import models as k8s

CONFIG = "/etc/driftwatch/config.yaml"
JOB = "churn-daily"
IMAGE = "ghcr.io/example/driftwatch:1.0.0"  # built from the repository's Dockerfile

with DAG(
    dag_id="driftwatch_churn_daily",
    description="Drift report of the churn model, one per day of live data",
    schedule="0 1 * * *",  # the same cron spec as the job's `schedule:` in config.yaml
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,  # past days: `airflow dags backfill` or `driftwatch backfill`
    max_active_runs=1,  # a job never overlaps itself
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=5),  # > the state lease (2m) of a killed try
        "execution_timeout": timedelta(minutes=30),  # Airflow sends SIGTERM
    },
    tags=["driftwatch", "ml-monitoring"],
) as dag:
    drift_report = BashOperator(
        task_id="drift_report",
        bash_command=(
            "driftwatch run --config " + CONFIG + " --job " + JOB
            + " --window-start '{{ data_interval_start }}'"
            + " --window-end '{{ data_interval_end }}'"
            + " --quiet"
        ),
        do_xcom_push=True,  # the last stdout line: the JSON summary
    )

    drift_report_k8s = KubernetesPodOperator(
        task_id="drift_report_k8s",
        name="driftwatch-churn-daily",
        image=IMAGE,
        # The image's entrypoint is the driftwatch binary: arguments only.
        arguments=[
            "run", "--config", CONFIG, "--job", JOB,
            "--window-start", "{{ data_interval_start }}",
            "--window-end", "{{ data_interval_end }}",
            "--quiet",
        ],
        env_vars=[
            k8s.V1EnvVar(
                name="DRIFTWATCH_STATE_DSN",
                value_from=k8s.V1EnvVarSource(
                    secret_key_ref=k8s.V1SecretKeySelector(name="driftwatch", key="state-dsn")
                ),
            ),
        ],
        volumes=[
            k8s.V1Volume(name="config", config_map=k8s.V1ConfigMapVolumeSource(name="driftwatch-config")),
            k8s.V1Volume(name="data", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name="ml-logs", read_only=True)),
            k8s.V1Volume(name="reports", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name="drift-reports")),
        ],
        volume_mounts=[
            k8s.V1VolumeMount(name="config", mount_path="/etc/driftwatch", read_only=True),
            k8s.V1VolumeMount(name="data", mount_path="/data", read_only=True),
            k8s.V1VolumeMount(name="reports", mount_path="/reports"),
        ],
        # KubernetesPodOperator takes XCom from /airflow/xcom/return.json, not stdout;
        # the summary is in the task log. Add a file sink there if you need XCom.
        do_xcom_push=False,
        termination_grace_period=60,
        get_logs=True,
    )
